import { describe, expect, it } from 'vitest';
import { safeArtifactPath } from '../../src/tracking/artifacts.js';

describe('safeArtifactPath', () => {
  it('normalises slashes and dots but keeps names as given', () => {
    expect(safeArtifactPath('a//b/./c.txt')).toBe('a/b/c.txt');
    expect(safeArtifactPath('50%.txt')).toBe('50%.txt');
    expect(safeArtifactPath('a%20b.txt')).toBe('a%20b.txt');
    expect(safeArtifactPath('', true)).toBe('');
  });

  it.each([
    '../etc/passwd',
    'a/../../b',
    '%2e%2e/secret',
    'a/%2E%2E/b',
    '/abs/path',
    'C:/windows',
    'a\\b',
    'nul\0byte',
    '',
  ])('rejects %j with INVALID_PARAMETER_VALUE "Invalid path"', (p) => {
    expect(() => safeArtifactPath(p)).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' }),
    );
  });
});
