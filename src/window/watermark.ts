/**
 * The watermark rule, in one place.
 *
 *   partition watermark   wm(p) = maxEventTime(p) - allowedLateness        (-Infinity before data)
 *   idle                  now - lastActivity(p) >= idleTimeout
 *   some partition active   W = min over active p of wm(p)
 *   every partition idle    W = max over p of wm(p) + (now - lastActivity(p) - idleTimeout)
 *   engine watermark        max(previous engine watermark, W)             (never goes back)
 *
 * While anything is active, idle partitions are simply ignored: an active partition is never
 * overtaken, so no window closes while an active partition may still add to it. When everything
 * is silent, each partition's event clock is extrapolated: it keeps running at the speed of the
 * caller's clock from where it stood when the partition went idle. That closes the final
 * windows when traffic stops (about `allowedLateness + idleTimeout` after their end for live
 * data), and unlike jumping to `now` it does not close a historical replay's windows all at once
 * when the replay merely pauses. Partitions that never delivered a record do not count in the
 * all-idle case (they have no clock to extrapolate). A partition without records holds the
 * watermark back (at -Infinity) until it has been silent for idleTimeout, measured from the
 * first `now` the engine hears after assigning it, which protects a partition whose backlog has
 * not been fetched yet.
 */
import { type PartitionState } from './partition-state.ts';

/** The watermark the partitions allow at `now` (before the never-go-back rule). */
export function watermarkAt(
  partitions: Iterable<PartitionState>,
  now: number,
  allowedLateness: number,
  idleTimeout: number,
): number {
  let activeMinimum = Infinity;
  let anyActive = false;
  let idleMaximum = -Infinity;
  for (const state of partitions) {
    // The idle clock of a partition that has not delivered anything starts now.
    if (state.lastActivity === undefined) state.lastActivity = now;
    const own = state.maxEventTime - allowedLateness;
    const silentFor = now - state.lastActivity;
    if (silentFor < idleTimeout) {
      anyActive = true;
      if (own < activeMinimum) activeMinimum = own;
    } else {
      const extrapolated = own + (silentFor - idleTimeout);
      if (extrapolated > idleMaximum) idleMaximum = extrapolated;
    }
  }
  return anyActive ? activeMinimum : idleMaximum;
}
