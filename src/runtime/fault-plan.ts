/**
 * Decides, per produced record, whether to inject a fault (producer.invalid / late / outOfOrder
 * fractions) for demos and tests. Deterministic for a seed, using its own random stream so that
 * turning faults on does not change the sales themselves.
 */
import { makeInvalidPayload, shiftEventTime, type LatenessSettings } from '../generator/faults.ts';
import { type JsonSchemaObject } from '../generator/json-schema.ts';
import { createRandom } from '../generator/random.ts';

export type PlannedKind = 'normal' | 'invalid' | 'late' | 'out-of-order';

export interface FaultPlanOptions {
  seed: number;
  invalid: number;
  late: number;
  outOfOrder: number;
  window: LatenessSettings;
  saleSchema: JsonSchemaObject;
}

/** Per record: what to do, and the broken payload for `invalid`. */
export interface FaultInjector {
  plan(now: number): { kind: PlannedKind; eventTime: number };
  corrupt(sale: Record<string, unknown>): string;
}

/** Builds the injector; with every fraction 0 it always answers `normal` at `now`. */
export function createFaultInjector(options: FaultPlanOptions): FaultInjector {
  const random = createRandom(options.seed ^ 0x5eed_fa17);
  const { invalid, late, outOfOrder } = options;
  const none = invalid + late + outOfOrder === 0;
  return {
    plan: (now) => {
      if (none) return { kind: 'normal', eventTime: now };
      const draw = random();
      if (draw < invalid) return { kind: 'invalid', eventTime: now };
      if (draw < invalid + late) return { kind: 'late', eventTime: shiftEventTime(now, 'late', options.window, random) };
      if (draw < invalid + late + outOfOrder) {
        return { kind: 'out-of-order', eventTime: shiftEventTime(now, 'out-of-order', options.window, random) };
      }
      return { kind: 'normal', eventTime: now };
    },
    corrupt: (sale) => makeInvalidPayload(sale, options.saleSchema, random).payload,
  };
}
