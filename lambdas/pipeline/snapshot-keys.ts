import { snapshotKeyFrom, type SnapshotKey } from '../core/subscription-snapshot';
import type { ApiKeyStore } from '../core/ports';

/** How often the deployment secret is read again (the API keys' checksum settings are re-read as often). */
export const SNAPSHOT_KEY_MAX_AGE_MS = 60_000;

/** Where the sealing key of subscription snapshots comes from. */
export interface SnapshotKeySource {
  /** The deployment's key; undefined when it has none yet or it could not be read (snapshots are then left out or unopened). */
  current(): Promise<SnapshotKey | undefined>;
}

/**
 * The snapshot key, derived from the deployment's checksum secret (made with its first API key of
 * the current format), read at most once a minute per execution environment; concurrent callers
 * share one read. A failed read is reported and answered with no key, and tried again next call.
 */
export class SnapshotKeys implements SnapshotKeySource {
  private held: { key: SnapshotKey | undefined; readAt: number } | undefined;
  private reading: Promise<SnapshotKey | undefined> | undefined;

  constructor(
    private readonly store: Pick<ApiKeyStore, 'getChecksumSettings'>,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  current(): Promise<SnapshotKey | undefined> {
    const now = this.now();
    if (this.held !== undefined && now - this.held.readAt < SNAPSHOT_KEY_MAX_AGE_MS) return Promise.resolve(this.held.key);
    this.reading ??= this.store
      .getChecksumSettings()
      .then(
        (settings) => {
          const key = settings === undefined ? undefined : snapshotKeyFrom(settings.secret);
          this.held = { key, readAt: now };
          return key;
        },
        (error: unknown) => {
          this.onError(error);
          return undefined;
        },
      )
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }
}
