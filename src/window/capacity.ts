/**
 * How the engine's typed-array columns grow. Every column (key columns, pane cells, the key
 * dictionary's spans and byte arena) grows by this rule, so they waste the same share.
 */

/**
 * The next length of a full typed-array column. Doubling while small keeps copies rare; past 64k
 * elements the column grows by a quarter, so a big table wastes ~12% on average (at most 25%)
 * instead of ~35% (at most 100%) at the price of a few more copies, which cost far less than
 * filling the slots did.
 */
export function grownCapacity(capacity: number): number {
  return capacity < 65_536 ? Math.max(2 * capacity, 8) : capacity + (capacity >> 2);
}
