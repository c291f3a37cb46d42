/** Structured JSON log lines (one object per line), filtered by LOG_LEVEL. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type Logger = Record<Level, (message: string, fields?: Record<string, unknown>) => void>;

export function createLogger(level: Level, write: (line: string) => void = (l) => console.log(l)): Logger {
  const at =
    (l: Level) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[l] >= ORDER[level]) write(JSON.stringify({ level: l, message, ...fields }));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
