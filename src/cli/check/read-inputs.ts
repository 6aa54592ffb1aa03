import { readFileSync } from 'node:fs';
import { describeFsError, type InputSource } from './discover-inputs';

export type ReadResult = { ok: true; text: string } | { ok: false; message: string };

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of one input; standard input is read to its end (`helm template … | meshguard check -`). */
export async function readInput(
  source: InputSource,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<ReadResult> {
  try {
    return { ok: true, text: source.kind === 'stdin' ? await readStream(stdin) : readFileSync(source.path, 'utf8') };
  } catch (err) {
    return { ok: false, message: `cannot read: ${describeFsError(err)}` };
  }
}
