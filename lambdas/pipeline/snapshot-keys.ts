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
 * the current format), read at most once per `maxAgeMs` per execution environment (0 for a source
 * that caches the settings itself, as ingest's authenticator does); concurrent callers share one
 * read. A failed read is reported and answered with no key until the next read is due, so a
 * failing table costs one read a minute, not one per message.
 */
export class SnapshotKeys implements SnapshotKeySource {
  private held: { key: SnapshotKey | undefined; readAt: number } | undefined;
  private reading: Promise<SnapshotKey | undefined> | undefined;
  private derived: { secret: string; key: SnapshotKey } | undefined;

  constructor(
    private readonly store: Pick<ApiKeyStore, 'getChecksumSettings'>,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs = SNAPSHOT_KEY_MAX_AGE_MS,
  ) {}

  current(): Promise<SnapshotKey | undefined> {
    const now = this.now();
    if (this.held !== undefined && now - this.held.readAt < this.maxAgeMs) return Promise.resolve(this.held.key);
    this.reading ??= this.store
      .getChecksumSettings()
      .then(
        (settings) => (settings === undefined ? undefined : this.keyFor(settings.secret)),
        (error: unknown) => {
          this.onError(error);
          return undefined;
        },
      )
      .then((key) => {
        this.held = { key, readAt: now };
        return key;
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }

  /** Derived once per secret: HKDF runs again only when the secret changes. */
  private keyFor(secret: string): SnapshotKey {
    if (this.derived?.secret !== secret) this.derived = { secret, key: snapshotKeyFrom(secret) };
    return this.derived.key;
  }
}
