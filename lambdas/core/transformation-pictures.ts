/**
 * Checks of the date/time pictures of $toMillis, $fromMillis and $now, so that neither can run
 * away inside one call: JSONata parses with a regular expression built from the picture (two
 * variable-width parts side by side backtrack polynomially on a string that does not match), and
 * formats each part to the width the picture asks for (`[Y,5000000]` makes 5 MB).
 */

/** A picture's markers (`[Y0001]` without brackets) and the literal text before, between and after them. */
interface Picture {
  markers: string[];
  /** literals[i] comes before markers[i]; the last one after the last marker. */
  literals: string[];
}

/** Splits a picture as XPath's format-dateTime does: `[[` and `]]` are literal brackets. */
const splitPicture = (picture: string): Picture => {
  const markers: string[] = [];
  const literals: string[] = [];
  let literal = '';
  let index = 0;
  while (index < picture.length) {
    const char = picture[index]!;
    const next = picture[index + 1];
    if ((char === '[' && next === '[') || (char === ']' && next === ']')) {
      literal += char;
      index += 2;
    } else if (char === '[') {
      const end = picture.indexOf(']', index + 1);
      const close = end === -1 ? picture.length : end;
      markers.push(picture.slice(index + 1, close).replace(/\s/g, ''));
      literals.push(literal);
      literal = '';
      index = close + 1;
    } else {
      literal += char;
      index += 1;
    }
  }
  literals.push(literal);
  return { markers, literals };
};

/** Only a character that no part's pattern matches (neither a letter nor a digit) ends a part for certain. */
const SEPARATOR = /[^A-Za-z0-9]/;

/**
 * Why a $toMillis picture is refused, or undefined if parsing with it stays linear: every two markers
 * need a separator between them that is neither a letter nor a digit, and no marker may be written
 * in words (`W`, `w`), whose pattern matches separators too.
 */
export const parsingPictureRefusal = (picture: string): string | undefined => {
  const { markers, literals } = splitPicture(picture);
  if (markers.some((marker) => /[Ww]/.test(marker.split(',')[0]!.slice(1)))) {
    return 'a $toMillis picture may not read a part written in words';
  }
  const joined = literals.slice(1, -1).findIndex((literal) => !SEPARATOR.test(literal));
  if (joined !== -1) {
    return `a $toMillis picture needs a separator that is neither a letter nor a digit between [${markers[joined]}] and [${markers[joined + 1]}] (split a compact timestamp with $substring)`;
  }
  return undefined;
};

/** The fewest characters a $fromMillis/$now picture makes: its literals and the widths its markers ask for. */
export const formattedLengthAtLeast = (picture: string): number => {
  const { markers, literals } = splitPicture(picture);
  const widths = markers.map((marker) => {
    const width = marker.split(',')[1] ?? '';
    return Math.max(0, ...(width.match(/\d+/g) ?? []).map(Number));
  });
  return literals.reduce((sum, literal) => sum + literal.length, 0) + widths.reduce((sum, width) => sum + width, 0);
};
