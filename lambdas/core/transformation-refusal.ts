/** Thrown when a transformation reaches a guard or uses what is refused: its message is the failure's. */
export class GuardExceeded extends Error {
  override name = 'GuardExceeded';
}
