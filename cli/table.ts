/**
 * A fixed-width text table for the terminal: columns padded to their widest cell, two spaces
 * between them, no trailing blanks. Cells are single-line (line breaks are folded to spaces).
 */
export const textTable = (columns: string[], rows: string[][]): string => {
  const clean = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, ' ');
  const cells = rows.map((row) => columns.map((_, index) => clean(row[index] ?? '')));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((row) => row[index]!.length)));
  const line = (row: string[]): string => row.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd();
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
};

/** `label: value` lines with the values aligned, for one record; undefined values are left out. */
export const fieldList = (fields: [string, string | undefined][]): string => {
  const shown = fields.filter((field): field is [string, string] => field[1] !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length + 1));
  return shown.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}`).join('\n');
};
