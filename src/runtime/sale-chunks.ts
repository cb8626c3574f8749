/**
 * Chunks of generated sales, ready to send: the producer's CPU work, with no I/O, so that it can
 * run on the generator thread (sale-generator-thread.ts) while the main thread sends.
 *
 *   (size, at) ─► fault plan ─► generator ─► JSON text ─► one record per sale, or packed
 *
 * Packing (`producer.packing` N > 1): the sales of a chunk are grouped by the partition their key
 * hashes to, and each group is written as JSON arrays of up to N sales, so a consumer still sees
 * every sale of a customer on one partition. Both client libraries cost microseconds per message
 * whatever its size, so this is what takes the producer (and the consumer) past their per-message
 * ceilings.
 *
 * Deterministic: the same config, seed and sequence of (size, at) calls give the same records.
 */
import { createKeyPartitioner, type OutgoingRecord } from '../broker/topic-producer.ts';
import { type JsonSchemaObject } from '../generator/json-schema.ts';
import { createRecordGenerator, type RecordGenerator } from '../generator/record-generator.ts';
import { ByteArena } from '../generator/byte-arena.ts';
import { compileGeneratingRecordJson, compileRecordJson, type GeneratingJsonWriter, type RecordJsonWriter } from '../generator/record-json.ts';
import { createFaultInjector } from './fault-plan.ts';

/** The parts of the pipeline config that decide what a chunk holds; plain data (it is sent to a thread). */
export interface SaleChunkConfig {
  source: { key: string; eventTime?: string | undefined; saleSchema: JsonSchemaObject };
  producer: {
    customers: number;
    seed: number;
    outOfOrder: number;
    late: number;
    invalid: number;
    /** Sales per message (JSON array when > 1); 1 when absent. */
    packing?: number | undefined;
  };
  window: { length: number; slide: number; allowedLateness: number };
}

/**
 * Sales made into records, as columns: record i is bytes [starts[i], ends[i]) of arena
 * arenaOf[i], for partition partitions[i]. Each sale's JSON goes into an arena as soon as it is
 * written, so that the strings of a chunk die young: holding a chunk of JSON strings (V8 keeps
 * concatenations as trees of pieces) until it is sent made the garbage collector copy them, and
 * cost more than making the sales. The columns also cross to the main thread without a copy.
 */
export interface SaleChunk {
  /** Record bytes; each on an ArrayBuffer of its own (transferable; a Buffer arrives as a Uint8Array). */
  arenas: Uint8Array[];
  arenaOf: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  partitions: Int32Array;
  timestamps: Float64Array;
  /** The message key, or null (packed messages have none). */
  keys: Array<string | null>;
  injected: { invalid: number; late: number; outOfOrder: number };
}

/** Makes the next `size` sales, `at` being the wall-clock time they are made at (epoch ms). */
export type SaleChunkMaker = (size: number, at: number) => SaleChunk;

/** The records of a chunk, their values as views on its arenas. */
export function recordsOf(chunk: SaleChunk): OutgoingRecord[] {
  const records = new Array<OutgoingRecord>(chunk.keys.length);
  for (let i = 0; i < records.length; i++) {
    const arena = chunk.arenas[chunk.arenaOf[i] ?? 0] as Uint8Array;
    const start = chunk.starts[i] ?? 0;
    records[i] = {
      key: chunk.keys[i] ?? null,
      value: Buffer.from(arena.buffer, arena.byteOffset + start, (chunk.ends[i] ?? 0) - start),
      timestamp: chunk.timestamps[i] ?? 0,
      partition: chunk.partitions[i] ?? 0,
    };
  }
  return records;
}

/**
 * Builds the chunk maker for a topic of `partitionCount` partitions. Throws
 * SchemaGenerationError when the schema cannot be generated.
 */
export function createSaleChunkMaker(config: SaleChunkConfig, partitionCount: number): SaleChunkMaker {
  const generator = createRecordGenerator({
    schema: config.source.saleSchema,
    seed: config.producer.seed,
    customers: config.producer.customers,
    eventTimeField: config.source.eventTime,
  });
  // Sales that stay valid are written as they are made, without building them (record-json.ts),
  // or built and then written when the schema has no plan for that; either way the value of the
  // key property comes back. A sale the faults will break is built, to be broken.
  const writeValidSale: GeneratingJsonWriter = compileGeneratingRecordJson(config.source.saleSchema, config.source.eventTime, generator, config.source.key) ?? buildThenWrite(generator, compileRecordJson(config.source.saleSchema, config.source.eventTime), config.source.key);
  // A packed sale whose key is not pooled is written here first, to learn its partition.
  const scratch = new ByteArena(1024);
  const faults = createFaultInjector({
    seed: config.producer.seed,
    invalid: config.producer.invalid,
    late: config.producer.late,
    outOfOrder: config.producer.outOfOrder,
    window: config.window,
    saleSchema: config.source.saleSchema,
  });
  // The partition of each key is computed here (murmur2, as both clients and the Java client
  // would), so that a message is built for one partition: required to pack sales, and cheaper
  // than the client hashing every message.
  const partitionOf = createKeyPartitioner(partitionCount);
  const packing = config.producer.packing ?? 1;
  const keyField = config.source.key;

  return (size, at) => {
    const writer = createChunkWriter(packing, size);
    const injected = { invalid: 0, late: 0, outOfOrder: 0 };
    for (let i = 0; i < size; i++) {
      const planned = faults.plan(at);
      if (planned.kind === 'late') injected.late++;
      else if (planned.kind === 'out-of-order') injected.outOfOrder++;
      if (planned.kind === 'invalid') {
        const sale = generator.next(planned.eventTime);
        const key = String(sale[keyField]);
        // Alone in its message, packed or not: a broken text inside an array would break the array.
        injected.invalid++;
        writer.beginSingle().text(faults.corrupt(sale));
        writer.endSingle(key, partitionOf(key), at);
      } else if (packing > 1) {
        // The partition must be known before the sale is written into its message: a pooled key
        // is known as soon as the sale is begun; any other is written aside first, then copied.
        const early = writeValidSale.begin();
        if (writeValidSale.keyAtBegin) {
          const key = String(early);
          const partition = partitionOf(key);
          writeValidSale.write(planned.eventTime, writer.beginPacked(partition, planned.eventTime));
          writer.endPacked(partition);
        } else {
          scratch.reset();
          const key = String(writeValidSale.write(planned.eventTime, scratch));
          const partition = partitionOf(key);
          writer.beginPacked(partition, planned.eventTime).copy(scratch, 0, scratch.used);
          writer.endPacked(partition);
        }
      } else {
        writeValidSale.begin();
        const key = String(writeValidSale.write(planned.eventTime, writer.beginSingle()));
        writer.endSingle(key, partitionOf(key), planned.eventTime);
      }
    }
    return writer.finish(injected);
  };
}

/** The one-pass writer's stand-in: builds the next sale, writes it, returns its key property. */
function buildThenWrite(generator: RecordGenerator, writeJson: RecordJsonWriter, keyField: string): GeneratingJsonWriter {
  return {
    keyAtBegin: false,
    begin: () => undefined,
    write(eventTime, arena) {
      const sale = generator.next(eventTime);
      writeJson(sale, arena);
      return Object.hasOwn(sale, keyField) ? sale[keyField] : undefined;
    },
  };
}

/**
 * Writes a chunk's records into arenas: one-sale records into one, packed sales into one per
 * partition, where each JSON array of up to `packing` sales is built in place. A packed message
 * has no key (its sales have several) and names its partition explicitly; its timestamp is its
 * first sale's event time (what a consumer without an event-time field uses for all).
 *
 * Each record is written between a begin call, which returns the arena to write it into, and the
 * matching end call.
 */
export function createChunkWriter(packing: number, expectedSales: number): {
  beginSingle(): ByteArena;
  endSingle(key: string, partition: number, timestamp: number): void;
  beginPacked(partition: number, eventTime: number): ByteArena;
  endPacked(partition: number): void;
  finish(injected: SaleChunk['injected']): SaleChunk;
} {
  const arenas: ByteArena[] = [];
  const arenaOf: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const partitions: number[] = [];
  const timestamps: number[] = [];
  const keys: Array<string | null> = [];
  const push = (arena: number, start: number, end: number, partition: number, timestamp: number, key: string | null): void => {
    arenaOf.push(arena);
    starts.push(start);
    ends.push(end);
    partitions.push(partition);
    timestamps.push(timestamp);
    keys.push(key);
  };
  // A first guess of ~160 bytes per sale; arenas grow when it is short.
  const newArena = (bytes: number): number => arenas.push(new ByteArena(bytes)) - 1;
  let singles: { index: number; arena: ByteArena; start: number } | undefined;
  const open = new Map<number, { index: number; arena: ByteArena; start: number; count: number; timestamp: number }>();
  const arenaOfPartition = new Map<number, number>();
  const close = (partition: number, pack: { index: number; arena: ByteArena; start: number; timestamp: number }): void => {
    pack.arena.byte(0x5d); // ]
    push(pack.index, pack.start, pack.arena.used, partition, pack.timestamp, null);
  };
  return {
    beginSingle() {
      if (singles === undefined) {
        const index = newArena(expectedSales * 160);
        singles = { index, arena: arenas[index] as ByteArena, start: 0 };
      }
      singles.start = singles.arena.used;
      return singles.arena;
    },
    endSingle(key, partition, timestamp) {
      if (singles) push(singles.index, singles.start, singles.arena.used, partition, timestamp, key);
    },
    beginPacked(partition, eventTime) {
      let pack = open.get(partition);
      if (pack === undefined) {
        let index = arenaOfPartition.get(partition);
        if (index === undefined) {
          index = newArena(expectedSales * 40);
          arenaOfPartition.set(partition, index);
        }
        const arena = arenas[index] as ByteArena;
        pack = { index, arena, start: arena.used, count: 0, timestamp: eventTime };
        open.set(partition, pack);
        arena.byte(0x5b); // [
      } else {
        pack.arena.byte(0x2c); // ,
      }
      return pack.arena;
    },
    endPacked(partition) {
      const pack = open.get(partition);
      if (pack !== undefined && ++pack.count >= packing) {
        close(partition, pack);
        open.delete(partition);
      }
    },
    finish(injected) {
      for (const [partition, pack] of open) close(partition, pack);
      open.clear();
      return {
        arenas: arenas.map((arena) => arena.written()),
        arenaOf: Int32Array.from(arenaOf),
        starts: Int32Array.from(starts),
        ends: Int32Array.from(ends),
        partitions: Int32Array.from(partitions),
        timestamps: Float64Array.from(timestamps),
        keys,
        injected,
      };
    },
  };
}
