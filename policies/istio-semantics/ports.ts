/** Ports, port names and protocol names (pkg/config/protocol), shared by most kinds. */
import { isDNS1123Label } from './hosts';

export function validatePort(port: unknown): string | undefined {
  const n = typeof port === 'number' ? port : 0;
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? undefined : `port number ${n} must be in the range 1..65535`;
}

export function validatePortName(name: string): string | undefined {
  return isDNS1123Label(name) ? undefined : `invalid port name: ${name}`;
}

export type Protocol =
  | 'TCP'
  | 'UDP'
  | 'GRPC'
  | 'GRPC-Web'
  | 'HTTP'
  | 'HTTP_PROXY'
  | 'HTTP2'
  | 'HTTPS'
  | 'TLS'
  | 'Mongo'
  | 'Redis'
  | 'MySQL'
  | 'Unsupported';

const PROTOCOLS: Record<string, Protocol> = {
  tcp: 'TCP',
  udp: 'UDP',
  grpc: 'GRPC',
  'grpc-web': 'GRPC-Web',
  http: 'HTTP',
  http_proxy: 'HTTP_PROXY',
  http2: 'HTTP2',
  https: 'HTTPS',
  tls: 'TLS',
  mongo: 'Mongo',
  redis: 'Redis',
  mysql: 'MySQL',
};

/** protocol.Parse: case-insensitive; anything else (including "") is Unsupported. */
export function parseProtocol(name: unknown): Protocol {
  return (typeof name === 'string' ? PROTOCOLS[name.toLowerCase()] : undefined) ?? 'Unsupported';
}

export const isHTTPProtocol = (p: Protocol): boolean =>
  p === 'HTTP' || p === 'HTTP2' || p === 'HTTP_PROXY' || p === 'GRPC' || p === 'GRPC-Web';
export const isTLSProtocol = (p: Protocol): boolean => p === 'HTTPS' || p === 'TLS';
export const isTCPProtocol = (p: Protocol): boolean =>
  p === 'TCP' || p === 'HTTPS' || p === 'TLS' || p === 'Mongo' || p === 'Redis' || p === 'MySQL';

/** A port's protocol: empty means "sniff", anything else must be known. */
export function validateProtocol(name: string): string | undefined {
  return name !== '' && parseProtocol(name) === 'Unsupported' ? `unsupported protocol: ${name}` : undefined;
}
