// Go's encoding/pem as ESO's PEM helpers use it: decode blocks (skipping text before each BEGIN
// line, as pem.Decode did before Go 1.26), encode them back (64-column base64, headers sorted with
// Proc-Type first), and filterPEM.
import { FuncError } from '../errors';

export interface PemBlock {
  type: string;
  headers: [string, string][];
  bytes: Buffer;
}

const BEGIN = /-----BEGIN ([^\r\n]*?)-----[ \t]*\r?\n/g;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** All blocks that decode, and the text after the last one (all of it when there is none). */
export function decodePem(input: string): { blocks: PemBlock[]; rest: string } {
  const blocks: PemBlock[] = [];
  let rest = input;
  let from = 0;
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(input); m !== null; m = BEGIN.exec(input)) {
    if (m.index < from) continue;
    const type = m[1] as string;
    const endLine = `-----END ${type}-----`;
    const bodyStart = m.index + m[0].length;
    const end = input.indexOf(endLine, bodyStart);
    if (end < 0) continue;
    const block = parseBody(type, input.slice(bodyStart, end));
    if (!block) continue;
    blocks.push(block);
    let after = end + endLine.length;
    const eol = /^[ \t]*(\r?\n|$)/.exec(input.slice(after));
    if (!eol) {
      blocks.pop();
      continue;
    }
    after += eol[0].length;
    rest = input.slice(after);
    from = after;
    BEGIN.lastIndex = after;
  }
  return { blocks, rest };
}

function parseBody(type: string, body: string): PemBlock | undefined {
  const lines = body.split('\n').map((l) => l.replace(/\r$/, ''));
  const headers: [string, string][] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon < 0) break;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  if (headers.length > 0 && lines[i]?.trim() === '') i++;
  const b64 = lines
    .slice(i)
    .join('')
    .replace(/[ \t\r\n]/g, '');
  if (!B64.test(b64) || b64.length % 4 !== 0) return undefined;
  return { type, headers, bytes: Buffer.from(b64, 'base64') };
}

export function encodePem(
  block: Pick<PemBlock, 'type' | 'bytes'> & { headers?: [string, string][] },
): string {
  let out = `-----BEGIN ${block.type}-----\n`;
  const headers = [...(block.headers ?? [])];
  if (headers.length > 0) {
    const proc = headers.filter(([k]) => k === 'Proc-Type');
    const others = headers
      .filter(([k]) => k !== 'Proc-Type')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [k, v] of [...proc, ...others]) out += `${k}: ${v}\n`;
    out += '\n';
  }
  const b64 = block.bytes.toString('base64');
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + '\n';
  return out + `-----END ${block.type}-----\n`;
}

/** Drops anything before the first BEGIN line, as ESO does before decoding. */
export function trimJunk(input: string): string {
  const i = input.indexOf('-----BEGIN');
  return i < 0 ? input : input.slice(i);
}

/** ESO's filterPEM: the blocks of one type (case-insensitive), re-encoded. */
export function filterPem(pemType: string, input: string): string {
  const { blocks, rest } = decodePem(trimJunk(input));
  const want = pemType.toLowerCase();
  const out = blocks.filter((b) => b.type.toLowerCase() === want).map(encodePem);
  if (out.length === 0 && rest.length !== 0) throw new FuncError('error filtering pem: found junk');
  return out.join('');
}
