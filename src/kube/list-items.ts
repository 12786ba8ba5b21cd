// Splits a list response (`{"kind":…,"metadata":{…},"items":[{…},{…}]}`) into its items as the
// bytes arrive, so that a list page is never held whole: each item is parsed on its own and
// dropped once its caller has projected it. Only JSON's structure is scanned (brackets, strings
// and their escapes; every structural byte is ASCII, so UTF-8 needs no decoding); each item is
// then parsed by JSON.parse. Everything but the items (kind, apiVersion, metadata) is kept and
// parsed at the end.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const ITEMS = Buffer.from('items');

export class ListItemSplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The last string seen directly in the top-level object (a key, when a value follows it). */
  private topString: number[] | undefined;
  private lastTopString = '';
  private inItems = false;
  /** Pieces of the item being read (it may span chunks). */
  private item: Buffer[] = [];
  private itemStart = -1;
  /** Everything outside the items array. */
  private readonly head: Buffer[] = [];
  /** What preceded the items (the apiserver writes kind, apiVersion and metadata first). */
  private before: unknown;

  /**
   * `onItem` gets each item's bytes (valid during the call only) and what the list said before
   * its items, parsed (undefined if that was not valid JSON on its own).
   */
  constructor(private readonly onItem: (json: Buffer, before: unknown) => void) {}

  push(chunk: Uint8Array): void {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let headFrom = this.inItems ? -1 : 0;
    if (this.itemStart === -2) this.itemStart = 0; // an item continues from the last chunk
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.topString) {
            this.lastTopString = Buffer.from(this.topString).toString();
            this.topString = undefined;
          }
        } else if (this.topString && this.topString.length <= ITEMS.length) this.topString.push(b);
        continue;
      }
      if (b === QUOTE) {
        this.inString = true;
        if (this.depth === 1) this.topString = [];
      } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        this.depth++;
        if (this.depth === 2 && b === OPEN_ARRAY && this.lastTopString === 'items') {
          // Keep `[` in the head, leave the items out of it.
          this.head.push(Buffer.from(buf.subarray(headFrom, i + 1)));
          headFrom = -1;
          this.inItems = true;
          try {
            this.before = JSON.parse(Buffer.concat(this.head).toString() + ']}');
          } catch {
            this.before = undefined;
          }
        } else if (this.inItems && this.depth === 3) this.itemStart = i;
      } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        if (this.inItems && this.depth === 3 && this.itemStart !== -1) {
          this.item.push(buf.subarray(this.itemStart, i + 1));
          const json = this.item.length === 1 ? this.item[0]! : Buffer.concat(this.item);
          this.item = [];
          this.itemStart = -1;
          this.onItem(json, this.before);
        } else if (this.inItems && this.depth === 2) {
          this.inItems = false;
          headFrom = i;
        }
        this.depth--;
      }
    }
    if (this.itemStart >= 0) {
      // The item goes on in the next chunk: keep a copy (the chunk's memory may be reused).
      this.item.push(Buffer.from(buf.subarray(this.itemStart)));
      this.itemStart = -2;
    }
    if (headFrom >= 0) this.head.push(Buffer.from(buf.subarray(headFrom)));
  }

  /** The list without its items (`items: []`), parsed. Throws on a truncated or invalid body. */
  end<T>(): T {
    if (this.depth !== 0 || this.inString) throw new SyntaxError('list response ended early');
    return JSON.parse(Buffer.concat(this.head).toString()) as T;
  }
}
