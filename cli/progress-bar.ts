/**
 * A one-line progress bar for a terminal: `[#########-----------]  45/100 moved`. Redrawn in place
 * with a carriage return; `done` ends the line. Where the total is unknown, only the count shows.
 */
export const progressLine = (done: number, total: number | undefined, label: string, width = 30): string => {
  if (total === undefined || total <= 0) return `${done} ${label}`;
  const shown = Math.min(done, total);
  const filled = Math.round((shown / total) * width);
  const counts = `${String(done).padStart(String(total).length)}/${total}`;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${counts} ${label}`;
};

export interface ProgressBar {
  update(done: number, total: number | undefined): void;
  finish(): void;
}

/** Draws on `stream` only if it is a terminal: scripts reading stderr see no control characters. */
export const progressBar = (stream: NodeJS.WriteStream, label: string): ProgressBar => {
  let drawn = false;
  return {
    update(done, total) {
      if (!stream.isTTY) return;
      stream.write(`\r${progressLine(done, total, label)}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
};
