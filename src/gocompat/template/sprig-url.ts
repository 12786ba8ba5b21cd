// Sprig's urlParse and urlJoin over a port of the parts of Go's net/url they use (Parse, the
// URL's String, Userinfo, Hostname; escaping modes and their errors as Go 1.26 has them, with
// its default strict colons in http(s) hosts). Go strings are bytes, so the work is done on a
// binary string (one char per byte) and the result turned back into our Go string model.
import { FuncError } from './errors';
import { fn, type FuncTable } from './funcdef';
import { goQuote } from './format';
import { fromBytes, toBytes } from './gostring';
import { isMap, kindName, mapGet, newMap, type GoMap } from './values';

type Mode = 'path' | 'segment' | 'host' | 'zone' | 'user' | 'query' | 'fragment';

const bin = (s: string): string => toBytes(s).toString('latin1');
const unbin = (s: string): string => fromBytes(Buffer.from(s, 'latin1'));

class UrlError extends Error {}

const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c);
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
const unhex = (c: string): number => parseInt(c, 16);

function shouldEscape(c: string, mode: Mode): boolean {
  if (isAlnum(c)) return false;
  if ((mode === 'host' || mode === 'zone') && `!$&'()*+,;=:[]<>"`.includes(c)) return false;
  if ('-_.~'.includes(c)) return false;
  if ('$&+,/:;=?@'.includes(c)) {
    switch (mode) {
      case 'path':
        return c === '?';
      case 'segment':
        return '/;,?'.includes(c);
      case 'user':
        return '@/?:'.includes(c);
      case 'query':
        return true;
      case 'fragment':
        return false;
    }
  }
  if (mode === 'fragment' && '!()*'.includes(c)) return false;
  return true;
}

function unescape(s: string, mode: Mode): string {
  let n = 0;
  let hasPlus = false;
  for (let i = 0; i < s.length;) {
    const c = s[i] as string;
    if (c === '%') {
      n++;
      if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) {
        throw new UrlError(`invalid URL escape ${goQuote(unbin(s.slice(i, i + 3)))}`);
      }
      const seq = s.slice(i, i + 3);
      if (mode === 'host' && unhex(s[i + 1] as string) < 8 && seq !== '%25')
        throw new UrlError(`invalid URL escape ${goQuote(seq)}`);
      if (mode === 'zone') {
        const v = String.fromCharCode(parseInt(seq.slice(1), 16));
        if (seq !== '%25' && v !== ' ' && shouldEscape(v, 'host'))
          throw new UrlError(`invalid URL escape ${goQuote(seq)}`);
      }
      i += 3;
    } else if (c === '+') {
      hasPlus = mode === 'query';
      i++;
    } else {
      if ((mode === 'host' || mode === 'zone') && c.charCodeAt(0) < 0x80 && shouldEscape(c, mode))
        throw new UrlError(`invalid character ${goQuote(c)} in host name`);
      i++;
    }
  }
  if (n === 0 && !hasPlus) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '%') {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '+') out += mode === 'query' ? ' ' : '+';
    else out += c;
  }
  return out;
}

function escape(s: string, mode: Mode): string {
  let out = '';
  for (const c of s) {
    if (c === ' ' && mode === 'query') out += '+';
    else if (shouldEscape(c, mode)) out += '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
    else out += c;
  }
  return out;
}

const validOptionalPort = (port: string): boolean => port === '' || /^:[0-9]*$/.test(port);

function validEncoded(s: string, mode: Mode): boolean {
  for (const c of s) if (!`!$&'()*+,;=:@[]%`.includes(c) && shouldEscape(c, mode)) return false;
  return true;
}

interface Userinfo {
  username: string;
  password: string;
  passwordSet: boolean;
}

interface Url {
  scheme: string;
  opaque: string;
  user: Userinfo | null;
  host: string;
  path: string;
  rawPath: string;
  fragment: string;
  rawFragment: string;
  rawQuery: string;
  forceQuery: boolean;
  omitHost: boolean;
}

const emptyUrl = (): Url => ({
  scheme: '',
  opaque: '',
  user: null,
  host: '',
  path: '',
  rawPath: '',
  fragment: '',
  rawFragment: '',
  rawQuery: '',
  forceQuery: false,
  omitHost: false,
});

function userString(u: Userinfo): string {
  return escape(u.username, 'user') + (u.passwordSet ? ':' + escape(u.password, 'user') : '');
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === ':') {
      if (i === 0) throw new UrlError('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

const isIPv4 = (s: string): boolean =>
  /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/.test(
    s,
  );

/** IPv6 literal check standing in for netip.ParseAddr (which Go's messages name). */
function isIpv6(s: string): boolean {
  const [addr = '', zone] = s.split('%', 2);
  if (zone === '') return false;
  return /^[0-9A-Fa-f:.]+$/.test(addr) && addr.includes(':') && isIP(addr);
}
function isIP(addr: string): boolean {
  // Node's URL parser validates IPv6 literals as RFC 3986 does.
  try {
    new URL(`http://[${addr}]/`);
    return true;
  } catch {
    return false;
  }
}

function parseHost(scheme: string, host: string): string {
  const open = host.lastIndexOf('[');
  if (open > 0) throw new UrlError('invalid IP-literal');
  if (open === 0) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw new UrlError("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort))
      throw new UrlError(`invalid port ${goQuote(unbin(colonPort))} after host`);
    const port = unescape(colonPort, 'host');
    const hostname = host.slice(1, close);
    const zone = hostname.indexOf('%25');
    const name =
      zone >= 0
        ? unescape(hostname.slice(0, zone), 'host') + unescape(hostname.slice(zone), 'zone')
        : unescape(hostname, 'host');
    if (isIPv4(name)) throw new UrlError('invalid IP-literal');
    if (!isIpv6(name)) throw new UrlError(`invalid host: ParseAddr(${goQuote(unbin(name))})`);
    return `[${name}]${port}`;
  }
  const first = host.indexOf(':');
  if (first !== -1) {
    const i = scheme === 'http' || scheme === 'https' ? first : host.lastIndexOf(':');
    const colonPort = host.slice(i);
    if (!validOptionalPort(colonPort))
      throw new UrlError(`invalid port ${goQuote(unbin(colonPort))} after host`);
  }
  return unescape(host, 'host');
}

const validUserinfo = (s: string): boolean => /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);

function parseAuthority(scheme: string, authority: string): [Userinfo | null, string] {
  const at = authority.lastIndexOf('@');
  const host = parseHost(scheme, at < 0 ? authority : authority.slice(at + 1));
  if (at < 0) return [null, host];
  const info = authority.slice(0, at);
  if (!validUserinfo(info)) throw new UrlError('net/url: invalid userinfo');
  const colon = info.indexOf(':');
  if (colon < 0) return [{ username: unescape(info, 'user'), password: '', passwordSet: false }, host];
  return [
    {
      username: unescape(info.slice(0, colon), 'user'),
      password: unescape(info.slice(colon + 1), 'user'),
      passwordSet: true,
    },
    host,
  ];
}

function parseNoFragment(raw: string): Url {
  const isControl = (c: string): boolean => c.charCodeAt(0) < 0x20 || c === '\x7f';
  if (Array.from(raw).some(isControl)) throw new UrlError('net/url: invalid control character in URL');
  const url = emptyUrl();
  if (raw === '*') {
    url.path = '*';
    return url;
  }
  const [scheme, afterScheme] = getScheme(raw);
  let rest = afterScheme;
  url.scheme = scheme.toLowerCase();
  if (rest.endsWith('?') && rest.split('?').length === 2) {
    url.forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      url.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith('/')) {
    if (url.scheme !== '') {
      url.opaque = rest;
      return url;
    }
    if ((rest.split('/')[0] as string).includes(':'))
      throw new UrlError('first path segment in URL cannot contain colon');
  }
  if ((url.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) [authority, rest] = [authority.slice(0, slash), authority.slice(slash)];
    [url.user, url.host] = parseAuthority(url.scheme, authority);
  } else if (url.scheme !== '' && rest.startsWith('/')) url.omitHost = true;
  url.path = unescape(rest, 'path');
  url.rawPath = escape(url.path, 'path') === rest ? '' : rest;
  return url;
}

/** url.Parse; errors as *url.Error prints them. */
function parse(raw: string): Url {
  const hash = raw.indexOf('#');
  const [u, frag] = hash < 0 ? [raw, ''] : [raw.slice(0, hash), raw.slice(hash + 1)];
  const fail = (what: string, e: unknown): never => {
    if (e instanceof UrlError) throw new UrlError(`parse ${goQuote(unbin(what))}: ${e.message}`);
    throw e;
  };
  let url: Url;
  try {
    url = parseNoFragment(u);
  } catch (e) {
    return fail(u, e);
  }
  if (frag === '') return url;
  try {
    url.fragment = unescape(frag, 'fragment');
  } catch (e) {
    return fail(raw, e);
  }
  url.rawFragment = escape(url.fragment, 'fragment') === frag ? '' : frag;
  return url;
}

function escapedPath(u: Url): string {
  if (u.rawPath !== '' && validEncoded(u.rawPath, 'path')) {
    try {
      if (unescape(u.rawPath, 'path') === u.path) return u.rawPath;
    } catch {
      // fall through to escaping the path
    }
  }
  return u.path === '*' ? '*' : escape(u.path, 'path');
}

function escapedFragment(u: Url): string {
  if (u.rawFragment !== '' && validEncoded(u.rawFragment, 'fragment')) {
    try {
      if (unescape(u.rawFragment, 'fragment') === u.fragment) return u.rawFragment;
    } catch {
      // fall through
    }
  }
  return escape(u.fragment, 'fragment');
}

/** (*url.URL).String */
function urlString(u: Url): string {
  let out = u.scheme !== '' ? `${u.scheme}:` : '';
  if (u.opaque !== '') out += u.opaque;
  else {
    if ((u.scheme !== '' || u.host !== '' || u.user) && !(u.omitHost && u.host === '' && !u.user)) {
      if (u.host !== '' || u.path !== '' || u.user) out += '//';
      if (u.user) out += userString(u.user) + '@';
      if (u.host !== '') out += escape(u.host, 'host');
    }
    const path = escapedPath(u);
    if (path !== '' && path[0] !== '/' && u.host !== '') out += '/';
    if (out === '' && (path.split('/')[0] as string).includes(':')) out += './';
    out += path;
  }
  if (u.forceQuery || u.rawQuery !== '') out += `?${u.rawQuery}`;
  if (u.fragment !== '') out += `#${escapedFragment(u)}`;
  return out;
}

function hostname(host: string): string {
  let h = host;
  const colon = h.lastIndexOf(':');
  if (colon !== -1 && validOptionalPort(h.slice(colon))) h = h.slice(0, colon);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h;
}

function urlParse(v: string): GoMap {
  let u: Url;
  try {
    u = parse(bin(v));
  } catch (e) {
    if (e instanceof UrlError) throw new FuncError(`unable to parse url: ${e.message}`);
    throw e;
  }
  const m = newMap();
  Object.assign(m, {
    scheme: unbin(u.scheme),
    host: unbin(u.host),
    hostname: unbin(hostname(u.host)),
    path: unbin(u.path),
    query: unbin(u.rawQuery),
    opaque: unbin(u.opaque),
    fragment: unbin(u.fragment),
    userinfo: u.user ? unbin(userString(u.user)) : '',
  });
  return m;
}

function field(d: GoMap, key: string): string {
  if (!Object.hasOwn(d, key)) return '';
  const v = mapGet(d, key);
  if (typeof v !== 'string')
    throw new FuncError(`unable to parse ${key} key, must be of type string, but ${kindName(v)} found`);
  return bin(v);
}

function urlJoin(d: GoMap): string {
  const u = emptyUrl();
  u.scheme = field(d, 'scheme');
  u.host = field(d, 'host');
  u.path = field(d, 'path');
  u.rawQuery = field(d, 'query');
  u.opaque = field(d, 'opaque');
  u.fragment = field(d, 'fragment');
  const userinfo = field(d, 'userinfo');
  if (userinfo !== '') {
    try {
      u.user = parse(`proto://${userinfo}@host`).user;
    } catch (e) {
      if (e instanceof UrlError) throw new FuncError(`unable to parse userinfo in dict: ${e.message}`);
      throw e;
    }
  }
  return unbin(urlString(u));
}

export const SPRIG_URL_FUNCTIONS: FuncTable = {
  urlParse: fn(['string'], ([v]) => urlParse(v as string)),
  urlJoin: fn(['map'], ([d]) => urlJoin(isMap(d) ? d : newMap())),
};
