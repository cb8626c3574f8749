/**
 * `broker.ssl` as the PEM texts both client libraries take: read once here, so a missing or
 * unreadable file is reported the same way (naming the setting and the file) whichever client
 * runs.
 */
import { readFileSync } from 'node:fs';
import { type BrokerConnectionConfig } from './client.ts';

/** The CA, certificate and key texts; an empty object means "TLS with the system's trusted CAs". */
export interface TlsFileContents {
  ca?: string[];
  cert?: string;
  key?: string;
}

/** Reads the files `ssl` names; undefined when TLS is off. */
export function readTlsFiles(ssl: BrokerConnectionConfig['ssl']): TlsFileContents | undefined {
  if (ssl === false) return undefined;
  const contents: TlsFileContents = {};
  if (ssl.ca !== undefined) contents.ca = [readTlsFile('broker.ssl.ca', ssl.ca)];
  if (ssl.cert !== undefined) contents.cert = readTlsFile('broker.ssl.cert', ssl.cert);
  if (ssl.key !== undefined) contents.key = readTlsFile('broker.ssl.key', ssl.key);
  return contents;
}

function readTlsFile(setting: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${setting} file ${file}: ${(error as Error).message}`, { cause: error });
  }
}
