/**
 * Captures everything written to this process's stdout and stderr (where the handlers' loggers and
 * embedded metrics go) until `restore` is called.
 */
export const captureOutput = (): { written: string[]; text: () => string; restore: () => void } => {
  const written: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const capture = (chunk: unknown) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  return {
    written,
    text: () => written.join(''),
    restore: () => {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    },
  };
};
