import { describe, expect, it } from 'vitest';
import { mountScopes, normaliseScopes, repositoryScope, scopesCover } from './scope.js';

describe('scopes', () => {
  it('builds pull, push and mount scopes', () => {
    expect(repositoryScope('library/nginx', 'pull')).toBe('repository:library/nginx:pull');
    expect(repositoryScope('a/b', 'push')).toBe('repository:a/b:pull,push');
    expect(mountScopes('dst/repo', 'src/repo')).toEqual(['repository:dst/repo:pull,push', 'repository:src/repo:pull']);
  });

  it('merges actions per resource and sorts, so equal needs give equal keys', () => {
    expect(normaliseScopes(['repository:b:pull', 'repository:a:push', 'repository:a:pull'])).toEqual([
      'repository:a:pull,push',
      'repository:b:pull',
    ]);
    expect(normaliseScopes(['repository:a:pull repository:c:pull'])).toEqual(['repository:a:pull', 'repository:c:pull']);
  });

  it('knows when granted scopes cover a need', () => {
    const have = ['repository:a:pull,push', 'repository:b:pull'];
    expect(scopesCover(have, ['repository:a:pull'])).toBe(true);
    expect(scopesCover(have, ['repository:a:push', 'repository:b:pull'])).toBe(true);
    expect(scopesCover(have, ['repository:b:push'])).toBe(false);
    expect(scopesCover(have, ['repository:c:pull'])).toBe(false);
    expect(scopesCover(['repository:a:*'], ['repository:a:pull,push'])).toBe(true);
    expect(scopesCover([], [])).toBe(true);
  });
});
