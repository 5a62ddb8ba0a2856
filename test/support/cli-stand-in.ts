import { buildProgram } from '../../cli/main';
import { Receiver } from './receiver';

/** The CLI, run in this process against a stand-in API on 127.0.0.1: what it sent, and what it printed. */
export interface StandInCli {
  /** Runs one command line, with the stand-in's URL and a test key added. */
  run(...args: string[]): Promise<unknown>;
  /** The requests the stand-in API received. */
  readonly api: Receiver;
  /** The lines the CLI printed. */
  readonly lines: string[];
  close(): Promise<void>;
}

/** Starts a stand-in API that answers every request with `status` and `body` as JSON. */
export const startStandInCli = async (status: number, body: unknown): Promise<StandInCli> => {
  const api = await Receiver.start(() => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
  const lines: string[] = [];
  const base = new URL(api.url).origin;
  return {
    api,
    lines,
    run: (...args) =>
      buildProgram((line) => lines.push(line), () => undefined).parseAsync([...args, '--api-url', base, '--api-key', 'wfk_test'], { from: 'user' }),
    close: () => api.close(),
  };
};
