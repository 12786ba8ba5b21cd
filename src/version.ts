// The version printed by `secretsync version`, read from package.json at run time.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function read(): string {
  for (const up of ['..', '../..']) {
    try {
      return (JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as { version: string })
        .version;
    } catch {
      /* try the next candidate */
    }
  }
  return 'unknown';
}

export const VERSION = read();
