/**
 * Lambda's telemetry log frames: how a runtime hands each log message to the platform as one
 * record (a multi-line message stays one record) on the file descriptor in `_LAMBDA_TELEMETRY_LOG_FD`.
 * Header: u32 BE frame type (0xA55A0000 | format bits | level bits), u32 BE payload length,
 * i64 BE timestamp in microseconds; then the UTF-8 payload.
 */
export const FRAME_HEADER_BYTES = 16;
const MAGIC = 0xa55a0000;
const MAGIC_MASK = 0xffff0000;
export const TEXT_FORMAT = 0b0011;
export const JSON_FORMAT = 0b0010;

export const LOG_LEVELS = {
  TRACE: { priority: 1, mask: 0b00100 },
  DEBUG: { priority: 2, mask: 0b01000 },
  INFO: { priority: 3, mask: 0b01100 },
  WARN: { priority: 4, mask: 0b10000 },
  ERROR: { priority: 5, mask: 0b10100 },
  FATAL: { priority: 6, mask: 0b11000 },
} as const;
export type LogLevel = keyof typeof LOG_LEVELS;

export function encodeFrame(payload: string, format: number, level: LogLevel, timeMs: number): Buffer {
  const body = Buffer.from(payload, 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE((MAGIC | format | LOG_LEVELS[level].mask) >>> 0, 0);
  frame.writeUInt32BE(body.length, 4);
  frame.writeBigInt64BE(BigInt(Math.round(timeMs)) * 1000n, 8);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export interface DecodedFrame {
  json: boolean;
  timeMs: number;
  payload: string;
}

/** Incremental decoder: feed it chunks as they arrive, get whole frames back. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): DecodedFrame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: DecodedFrame[] = [];
    while (this.pending.length >= FRAME_HEADER_BYTES) {
      const type = this.pending.readUInt32BE(0);
      if ((type & MAGIC_MASK) >>> 0 !== MAGIC)
        throw new Error(`log frame with bad magic 0x${type.toString(16)}`);
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < FRAME_HEADER_BYTES + length) break;
      frames.push({
        json: (type & 0b0011) === JSON_FORMAT,
        timeMs: Number(this.pending.readBigInt64BE(8) / 1000n),
        payload: this.pending.toString('utf8', FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length),
      });
      this.pending = this.pending.subarray(FRAME_HEADER_BYTES + length);
    }
    return frames;
  }
}
