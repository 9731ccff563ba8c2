import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseArtifacts,
  parseDatabaseUrl,
  serverConfigFrom,
  storageConfigFrom,
} from '../../src/core/config.js';

describe('config', () => {
  it('defaults to SQLite and an artifacts folder inside the data dir', () => {
    const c = storageConfigFrom({}, { KEEL_DATA_DIR: '/tmp/kd' });
    expect(c).toEqual({
      dataDir: '/tmp/kd',
      database: { kind: 'sqlite', file: '/tmp/kd/keel.db' },
      artifacts: { kind: 'fs', root: '/tmp/kd/artifacts' },
    });
  });

  it('the --data-dir flag beats KEEL_DATA_DIR, and the default is ./.keel', () => {
    expect(storageConfigFrom({ dataDir: '/a' }, { KEEL_DATA_DIR: '/b' }).dataDir).toBe('/a');
    expect(storageConfigFrom({}, {}).dataDir).toBe(path.resolve('.keel'));
  });

  it('a postgres:// URL switches to PostgreSQL, with an optional schema', () => {
    expect(parseDatabaseUrl('postgres://u@h:5432/db', '/d')).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h:5432/db',
    });
    expect(parseDatabaseUrl('postgresql://u@h/db?schema=s1', '/d')).toEqual({
      kind: 'postgres',
      url: 'postgresql://u@h/db',
      schema: 's1',
    });
  });

  it('rejects unknown database URL schemes and unsafe schema names', () => {
    expect(() => parseDatabaseUrl('mysql://h/db', '/d')).toThrow(/KEEL_DATABASE_URL must start with/);
    expect(() => parseDatabaseUrl('postgres://h/db?schema=a;drop', '/d')).toThrow(/schema/);
  });

  it('s3:// artifacts read bucket, prefix and the usual AWS variables', () => {
    expect(
      parseArtifacts('s3://models/keel/prod/', '/d', {
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'k',
        AWS_SECRET_ACCESS_KEY: 's',
      }),
    ).toEqual({
      kind: 's3',
      bucket: 'models',
      prefix: 'keel/prod',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      accessKeyId: 'k',
      secretAccessKey: 's',
    });
    expect(parseArtifacts('s3://b', '/d', {})).toMatchObject({
      bucket: 'b',
      prefix: '',
      region: 'us-east-1',
      forcePathStyle: false,
    });
    expect(() => parseArtifacts('s3:///x', '/d', {})).toThrow(/no bucket/);
    expect(() => parseArtifacts('gs://b', '/d', {})).toThrow(/folder path or s3/);
    expect(parseArtifacts('./blobs', '/d', {})).toEqual({ kind: 'fs', root: path.resolve('./blobs') });
  });

  it('server flags are validated with errors naming the flag', () => {
    expect(serverConfigFrom({ port: '8080', dataDir: '/x' }, {})).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      insecure: false,
    });
    expect(() => serverConfigFrom({ port: 'abc' }, {})).toThrow(/--port/);
    expect(() => serverConfigFrom({ port: '70000' }, {})).toThrow(/--port/);
    expect(() => serverConfigFrom({ logLevel: 'loud' }, {})).toThrow(/--logLevel/);
  });

  it('environment values are validated', () => {
    expect(() => storageConfigFrom({}, { AWS_ENDPOINT_URL: 'not a url' })).toThrow(/AWS_ENDPOINT_URL/);
  });
});
