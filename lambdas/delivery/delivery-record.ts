import type { DeliveryMessage } from '../core/messages';
import { expiresAfterDays, type AttemptLog, type DeliveryRecord } from '../core/model';
import type { MadeAttempt, Outcome } from '../core/outcome';

/*
 * What a delivery record holds after a receive: built from the message, the record before it and
 * the attempt made, with nothing read or written here.
 */

/** The record of a delivery as it stands before this receive's outcome: its previous attempts kept, its retention renewed. */
export const baseRecord = (
  message: DeliveryMessage,
  previous: DeliveryRecord | undefined,
  nowMs: number,
  retentionDays: number,
): DeliveryRecord => ({
  tenantId: message.tenantId,
  eventId: message.eventId,
  subscriptionId: message.subscriptionId,
  eventType: message.eventType,
  run: message.run,
  status: 'pending',
  attempts: previous?.attempts ?? 0,
  history: previous?.history ?? [],
  createdAt: previous?.createdAt ?? new Date(nowMs).toISOString(),
  updatedAt: new Date(nowMs).toISOString(),
  expiresAt: expiresAfterDays(nowMs, retentionDays),
});

/** One attempt as the delivery log keeps it: a failure's reason, status or transport error, and when the next is due. */
export const attemptLog = (
  attempt: number,
  sentAt: number,
  result: MadeAttempt,
  outcome: Outcome,
  nextAttemptAt: string | undefined,
): AttemptLog => {
  const log: AttemptLog = {
    attempt,
    at: new Date(sentAt).toISOString(),
    outcome: outcome.action === 'delivered' ? 'delivered' : 'failed',
    durationMs: result.durationMs,
    requestSent: result.kind === 'response' || result.requestSent,
  };
  if (outcome.action !== 'delivered') log.reason = outcome.reason;
  if (result.kind === 'response') {
    log.statusCode = result.statusCode;
    if (outcome.action !== 'delivered' && result.bodySnippet) log.responseSnippet = result.bodySnippet;
  } else {
    log.error = result.message;
  }
  if (nextAttemptAt !== undefined) log.nextAttemptAt = nextAttemptAt;
  return log;
};
