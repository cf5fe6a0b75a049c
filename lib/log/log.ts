/**
 * A small leveled logger: syslog level names (the ones linuxserver's `LOG_LEVEL`
 * accepts), text or JSON lines, timestamps in the `TZ` zone, and writes batched
 * so that logging a line per request costs no system call per request.
 *
 * `lib/log/`: the logger and its timestamps. Imports only `lib/`'s root.
 */
import { after } from "../timer.ts";
import { TimestampFormatter } from "./timestamp.ts";

export const LOG_LEVELS = [
  "emerg",
  "alert",
  "crit",
  "err",
  "warning",
  "notice",
  "info",
  "debug",
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "text" | "json";
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Where finished lines go; `flush` resolves once everything written so far is out. */
export interface LogSink {
  write(line: string): void;
  flush(): Promise<void>;
}

const BATCH_BYTES = 64 * 1024;
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

/**
 * Writes lines to a file (stdout by default) in batches, off the request path.
 * Lines are encoded into a byte buffer as they come, so they die young in the
 * V8 heap. When the output cannot keep up (a blocked pipe), lines beyond 4 MiB
 * in flight are dropped and counted rather than held in memory.
 */
export class BatchedSink implements LogSink {
  #out: { write(p: Uint8Array): Promise<number> };
  #buf = new Uint8Array(BATCH_BYTES);
  #length = 0;
  #pending = 0;
  #dropped = 0;
  #scheduled = false;
  #writing: Promise<void> = Promise.resolve();
  #encoder = new TextEncoder();

  constructor(out: { write(p: Uint8Array): Promise<number> } = Deno.stdout) {
    this.#out = out;
  }

  write(line: string): void {
    if (this.#pending > MAX_PENDING_BYTES) {
      this.#dropped++;
      return;
    }
    let written = this.#encoder.encodeInto(line, this.#buf.subarray(this.#length));
    if (written.read < line.length) {
      this.#drain();
      written = this.#encoder.encodeInto(line, this.#buf);
      if (written.read < line.length) {
        // Longer than a batch: on its own.
        this.#send(this.#encoder.encode(line));
        return;
      }
    }
    this.#length += written.written;
    if (!this.#scheduled) {
      this.#scheduled = true;
      after(20, () => this.#drain());
    }
  }

  #drain(): void {
    this.#scheduled = false;
    if (this.#dropped > 0 && this.#pending <= MAX_PENDING_BYTES) {
      const note = `socket-proxy: ${this.#dropped} log lines dropped, the output was too slow\n`;
      this.#dropped = 0;
      this.#send(this.#encoder.encode(note));
    }
    if (this.#length === 0) return;
    const bytes = this.#buf.subarray(0, this.#length);
    this.#buf = new Uint8Array(BATCH_BYTES);
    this.#length = 0;
    this.#send(bytes);
  }

  #send(bytes: Uint8Array): void {
    this.#pending += bytes.length;
    this.#writing = this.#writing.then(async () => {
      let offset = 0;
      try {
        while (offset < bytes.length) offset += await this.#out.write(bytes.subarray(offset));
      } catch {
        // A closed stdout must not take the proxy down.
      }
      this.#pending -= bytes.length;
    });
  }

  flush(): Promise<void> {
    this.#drain();
    return this.#writing;
  }
}

/** Keeps lines in memory; for tests. */
export class MemorySink implements LogSink {
  lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  timeZone?: string;
  sink?: LogSink;
  now?: () => number;
}

function textValue(value: string | number | boolean): string {
  const text = String(value);
  return text === "" || /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

export class Logger {
  readonly level: LogLevel;
  readonly format: LogFormat;
  readonly sink: LogSink;
  #threshold: number;
  #timestamps: TimestampFormatter;
  #now: () => number;

  constructor(options: LoggerOptions = {}) {
    this.level = options.level ?? "info";
    this.format = options.format ?? "text";
    this.sink = options.sink ?? new BatchedSink();
    this.#threshold = LOG_LEVELS.indexOf(this.level);
    this.#timestamps = new TimestampFormatter(options.timeZone ?? "UTC");
    this.#now = options.now ?? Date.now;
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.#threshold;
  }

  /** Logs `message`; in text format the fields follow as `key=value`. */
  log(level: LogLevel, message: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const time = this.#timestamps.format(this.#now());
    if (this.format === "json") {
      this.sink.write(JSON.stringify({ time, level, msg: message, ...fields }) + "\n");
      return;
    }
    let line = time + " " + level + " " + message;
    if (fields) {
      for (const key in fields) {
        const value = fields[key];
        if (value !== undefined) line += " " + key + "=" + textValue(value);
      }
    }
    this.sink.write(line + "\n");
  }

  debug(message: string, fields?: LogFields): void {
    this.log("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log("info", message, fields);
  }
  notice(message: string, fields?: LogFields): void {
    this.log("notice", message, fields);
  }
  warning(message: string, fields?: LogFields): void {
    this.log("warning", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log("err", message, fields);
  }

  /** Writes a block of lines (the start-up summary) under one timestamp. */
  block(level: LogLevel, lines: string[]): void {
    if (!this.enabled(level)) return;
    if (this.format === "json") {
      this.log(level, lines[0], { detail: lines.slice(1).join("\n") });
      return;
    }
    const time = this.#timestamps.format(this.#now());
    this.sink.write(lines.map((line) => time + " " + level + " " + line + "\n").join(""));
  }

  flush(): Promise<void> {
    return this.sink.flush();
  }
}
