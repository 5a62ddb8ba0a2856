import { describe, expect, it } from 'vitest';
import { CallerTurns } from '../../local/lambda/caller-turns';

/** A request that has started and ends when told to. */
interface HeldRequest {
  name: string;
  end: () => void;
}

/** Runs requests through `turns`, noting the order they start in; each ends only when its `end` is called. */
const harness = (turns: CallerTurns) => {
  const started: HeldRequest[] = [];
  const submit = (caller: string, name: string) =>
    turns.run(caller, () => new Promise<string>((resolve) => started.push({ name, end: () => resolve(name) })));
  /** Ends the oldest running request and lets the next one start. */
  const endOldest = async () => {
    const running = started.find((request) => !ended.has(request.name))!;
    ended.add(running.name);
    running.end();
    await new Promise((resolve) => setImmediate(resolve));
  };
  const ended = new Set<string>();
  return { started, submit, endOldest, names: () => started.map((request) => request.name) };
};

describe('Class: CallerTurns', () => {
  it('runs up to its limit at once and holds the rest', async () => {
    // Prepare
    const turns = new CallerTurns(2);
    const { submit, names } = harness(turns);

    // Act
    for (let i = 0; i < 5; i++) void submit('a', `a${i}`);
    await new Promise((resolve) => setImmediate(resolve));

    // Assess
    expect(names()).toEqual(['a0', 'a1']);
    expect(turns.queued).toBe(3);
  });

  it("starts a second caller's one request after one of the first caller's, not after its whole burst", async () => {
    // Prepare: caller n has 20 requests queued when caller q's arrives
    const turns = new CallerTurns(2);
    const { submit, endOldest, names } = harness(turns);
    for (let i = 0; i < 20; i++) void submit('n', `n${i}`);
    const quiet = submit('q', 'q0');
    await new Promise((resolve) => setImmediate(resolve));

    // Act
    await endOldest();
    await endOldest();

    // Assess: n0 and n1 ran first; their two places went to n2 (n's turn) and then q0
    expect(names()).toEqual(['n0', 'n1', 'n2', 'q0']);
    await endOldest();
    await endOldest();
    await expect(quiet).resolves.toBe('q0');
  });

  it('serves waiting callers one request each, in the order they first waited, round after round', async () => {
    // Prepare
    const turns = new CallerTurns(1);
    const { submit, endOldest, names } = harness(turns);
    void submit('a', 'a0');
    for (const name of ['a1', 'a2', 'b0', 'b1', 'c0']) void submit(name[0]!, name);
    await new Promise((resolve) => setImmediate(resolve));

    // Act
    for (let i = 0; i < 5; i++) await endOldest();

    // Assess
    expect(names()).toEqual(['a0', 'a1', 'b0', 'c0', 'a2', 'b1']);
    expect(turns.queued).toBe(0);
  });

  it('gives the place back when a request fails, so the next one still starts', async () => {
    // Prepare
    const turns = new CallerTurns(1);
    const failing = turns.run('a', () => Promise.reject(new Error('boom')));
    const next = turns.run('b', async () => 'b0');

    // Act & Assess
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('b0');
  });

  it('refuses a limit that is not a positive integer', () => {
    // Act & Assess
    expect(() => new CallerTurns(0)).toThrow(RangeError);
    expect(() => new CallerTurns(1.5)).toThrow(RangeError);
  });
});
