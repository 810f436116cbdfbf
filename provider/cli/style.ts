/**
 * Colour and progress for people, plain text for pipes: styling only when
 * the stream is a terminal and NO_COLOR is unset (no-color.org), and
 * TERM is not "dumb". Piped output is byte for byte what scripts parse.
 */
import type { WriteStream } from "node:tty";

type Stream = Pick<WriteStream, "isTTY" | "write">;

export function styled(stream: Stream = process.stdout): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== "dumb";
}

const CODES = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
export type Style = keyof typeof CODES;

/** `text` in a style on a terminal; as it is otherwise. */
export function paint(style: Style, text: string, stream: Stream = process.stdout): string {
  return styled(stream) ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

/** A share as a bar on a terminal (`██░░░░░░░░ 20 %`), as `20 %` otherwise. */
export function shareBar(percent: number, stream: Stream = process.stdout): string {
  if (!styled(stream)) return `${percent} %`;
  const full = Math.round(percent / 10);
  return `${paint("green", "█".repeat(full), stream)}${paint("dim", "░".repeat(10 - full), stream)} ${percent} %`;
}

/** A progress line on a terminal's stderr (rewritten in place), nothing when piped; `done()` clears it. */
export function progress(label: string): { step(n: number, of: number): void; done(): void } {
  const on = styled(process.stderr);
  return {
    step: (n, of) => {
      if (on) process.stderr.write(`\r\u001b[2K${label} ${n}/${of}`);
    },
    done: () => {
      if (on) process.stderr.write("\r\u001b[2K");
    },
  };
}
