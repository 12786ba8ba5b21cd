// Tokenizer for Go template source: text, {{ }} actions with the `{{- ` / ` -}}` trim markers,
// comments, and the tokens allowed inside actions (fields, variables, literals, keywords,
// pipes, parentheses, := and =). Follows the lexing rules of Go's text/template/parse.

import { PositionedError } from './errors';

export type TokenType =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'identifier'
  | 'keyword'
  | 'field'
  | 'variable'
  | 'dot'
  | 'bool'
  | 'nil'
  | 'number'
  | 'char'
  | 'string'
  | 'rawString'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'eof';

export interface Token {
  type: TokenType;
  value: string;
  /** byte offset (UTF-16 index) of the token in the source */
  pos: number;
  /** offset just past the token */
  end: number;
}

export const KEYWORDS = new Set([
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'range',
  'template',
  'with',
]);

const LEFT = '{{';
const RIGHT = '}}';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlphaNumeric(c: string | undefined): boolean {
  if (c === undefined) return false;
  return c === '_' || /^[\p{L}\p{Nd}]$/u.test(c);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Go's trimming removes ASCII white space only. */
function trimRightSpace(s: string): string {
  let end = s.length;
  while (end > 0 && isSpace(s[end - 1])) end--;
  return s.slice(0, end);
}

export function lex(src: string): Token[] {
  const tokens: Token[] = [];
  const n = src.length;
  let i = 0;

  const emit = (type: TokenType, start: number, end: number, value = src.slice(start, end)): void => {
    tokens.push({ type, value, pos: start, end });
  };
  const atRightTrim = (at: number): boolean =>
    isSpace(src[at]) && src[at + 1] === '-' && src.startsWith(RIGHT, at + 2);
  const skipSpace = (at: number): number => {
    while (at < n && isSpace(src[at])) at++;
    return at;
  };

  while (i < n) {
    const open = src.indexOf(LEFT, i);
    if (open < 0) {
      emit('text', i, n);
      break;
    }
    const trimLeft = src[open + 2] === '-' && isSpace(src[open + 3]);
    let text = src.slice(i, open);
    if (trimLeft) text = trimRightSpace(text);
    if (text.length > 0) emit('text', i, open, text);
    let p = open + 2 + (trimLeft ? 2 : 0);

    // Comments: {{/* ... */}} with optional trim markers, nothing else inside the action.
    if (src.startsWith('/*', p)) {
      const close = src.indexOf('*/', p + 2);
      if (close < 0) throw new PositionedError('unclosed comment', open);
      p = close + 2;
      if (src.startsWith(RIGHT, p)) {
        i = p + 2;
      } else if (atRightTrim(p)) {
        i = skipSpace(p + 4);
      } else {
        throw new PositionedError('comment ends before closing delimiter', open);
      }
      continue;
    }

    emit('leftDelim', open, p);
    let parenDepth = 0;
    for (;;) {
      if (atRightTrim(p)) {
        if (parenDepth > 0) throw new PositionedError('unclosed left paren', p);
        emit('rightDelim', p, p + 4);
        i = skipSpace(p + 4);
        break;
      }
      if (src.startsWith(RIGHT, p)) {
        if (parenDepth > 0) throw new PositionedError('unclosed left paren', p);
        emit('rightDelim', p, p + 2);
        i = p + 2;
        break;
      }
      if (p >= n) throw new PositionedError('unclosed action', open);
      const c = src[p] as string;
      const start = p;
      if (isSpace(c)) {
        while (p < n && isSpace(src[p])) p++;
        // A single space before "-}}" belongs to the trim marker.
        if (src[p] === '-' && src.startsWith(RIGHT, p + 1)) p--;
        if (p > start) emit('space', start, p);
        continue;
      }
      switch (c) {
        case '=':
          emit('assign', p, ++p);
          continue;
        case ':':
          if (src[p + 1] !== '=') throw new PositionedError('expected :=', p);
          p += 2;
          emit('declare', start, p);
          continue;
        case '|':
          emit('pipe', p, ++p);
          continue;
        case ',':
          emit('comma', p, ++p);
          continue;
        case '(':
          parenDepth++;
          emit('leftParen', p, ++p);
          continue;
        case ')':
          parenDepth--;
          if (parenDepth < 0) throw new PositionedError('unexpected right paren', p);
          emit('rightParen', p, ++p);
          continue;
        case '"': {
          p++;
          for (;;) {
            const ch = src[p];
            if (ch === '\\') {
              p += 2;
              continue;
            }
            if (ch === undefined || ch === '\n')
              throw new PositionedError('unterminated quoted string', start);
            p++;
            if (ch === '"') break;
          }
          emit('string', start, p);
          continue;
        }
        case '`': {
          const close = src.indexOf('`', p + 1);
          if (close < 0) throw new PositionedError('unterminated raw quoted string', start);
          p = close + 1;
          emit('rawString', start, p);
          continue;
        }
        case "'": {
          p++;
          for (;;) {
            const ch = src[p];
            if (ch === '\\') {
              p += 2;
              continue;
            }
            if (ch === undefined || ch === '\n')
              throw new PositionedError('unterminated character constant', start);
            p++;
            if (ch === "'") break;
          }
          emit('char', start, p);
          continue;
        }
        case '$': {
          p++;
          while (isAlphaNumeric(src[p])) p++;
          checkTerminator(p);
          emit('variable', start, p);
          continue;
        }
        case '.': {
          if (!isDigit(src[p + 1])) {
            p++;
            if (!isAlphaNumeric(src[p])) {
              checkTerminator(p);
              emit('dot', start, p);
              continue;
            }
            while (isAlphaNumeric(src[p])) p++;
            checkTerminator(p);
            emit('field', start, p);
            continue;
          }
          break;
        }
      }
      if (c === '.' || c === '+' || c === '-' || isDigit(c)) {
        p = scanNumber(p);
        emit('number', start, p);
        continue;
      }
      if (isAlphaNumeric(c)) {
        while (isAlphaNumeric(src[p])) p++;
        const word = src.slice(start, p);
        checkTerminator(p);
        if (KEYWORDS.has(word)) emit('keyword', start, p);
        else if (word === 'true' || word === 'false') emit('bool', start, p);
        else if (word === 'nil') emit('nil', start, p);
        else emit('identifier', start, p);
        continue;
      }
      const cp = src.codePointAt(p) as number;
      throw new PositionedError(
        `unrecognized character in action: U+${cp.toString(16).toUpperCase().padStart(4, '0')}`,
        p,
      );
    }
  }
  tokens.push({ type: 'eof', value: '', pos: n, end: n });
  return tokens;

  function checkTerminator(at: number): void {
    const c = src[at];
    if (c === undefined || isSpace(c) || src.startsWith(RIGHT, at)) return;
    if ('.,|:)(='.includes(c)) return;
    const cp = src.codePointAt(at) as number;
    const hex = cp.toString(16).toUpperCase().padStart(4, '0');
    throw new PositionedError(`bad character U+${hex} ${JSON.stringify(String.fromCodePoint(cp))}`, at);
  }

  function scanNumber(p: number): number {
    const start = p;
    if (src[p] === '+' || src[p] === '-') p++;
    let digits = '0123456789_';
    if (src[p] === '0' && /[xXoObB]/.test(src[p + 1] ?? '')) {
      const b = (src[p + 1] as string).toLowerCase();
      p += 2;
      digits = b === 'x' ? '0123456789abcdefABCDEF_' : b === 'o' ? '01234567_' : '01_';
    }
    const run = (set: string): void => {
      while (p < n && set.includes(src[p] as string)) p++;
    };
    run(digits);
    if (src[p] === '.') {
      p++;
      run(digits);
    }
    if (digits.length === 11 && (src[p] === 'e' || src[p] === 'E')) {
      p++;
      if (src[p] === '+' || src[p] === '-') p++;
      run('0123456789_');
    }
    if (digits.length === 23 && (src[p] === 'p' || src[p] === 'P')) {
      p++;
      if (src[p] === '+' || src[p] === '-') p++;
      run('0123456789_');
    }
    if (src[p] === 'i') p++;
    if (isAlphaNumeric(src[p]) || p === start) {
      throw new PositionedError(`bad number syntax: ${JSON.stringify(src.slice(start, p + 1))}`, start);
    }
    return p;
  }
}
