import bs58 from "bs58";

/** A service API token, as the platform displays it: base58 of `<host>:<secret>`. */
export interface ServiceToken {
  /** Base URL such as `https://node.example.net:8443`. */
  host: string;
  secret: string;
}

export class TokenFormatError extends Error {}

export function encodeToken(token: ServiceToken): string {
  return bs58.encode(new TextEncoder().encode(`${token.host}:${token.secret}`));
}

/** Splits at the last `:` after the host (the host itself contains `:` for scheme and port). */
export function decodeToken(text: string): ServiceToken {
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(bs58.decode(text.trim()));
  } catch {
    throw new TokenFormatError("the token is not base58 text as the platform shows it");
  }
  const match = /^(https?:\/\/[^/\s:]+(?::[0-9]+)?):([^\s]+)$/.exec(decoded);
  if (!match) throw new TokenFormatError("the token does not decode to <host>:<secret>");
  return { host: match[1] as string, secret: match[2] as string };
}
