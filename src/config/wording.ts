/**
 * How config messages phrase values and suggestions, so every rule speaks the same way:
 * `got "abc"`, `expected one of "text", "sqlite"`, `did you mean "window"?`.
 */

const maxQuotedLength = 60;

/** A value as a message shows it: strings quoted (and shortened), collections by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > maxQuotedLength ? `${value.slice(0, maxQuotedLength)}...` : value;
    return JSON.stringify(shown);
  }
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return 'a mapping';
}

/** `"a", "b", "c"`: the allowed choices, quoted as the user would write them. */
export function quoteList(values: readonly unknown[]): string {
  return values.map((value) => (typeof value === 'string' ? JSON.stringify(value) : String(value))).join(', ');
}

/** The candidate closest to `word` when it is plausibly a typo of it (`windw` -> `window`). */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // Short words tolerate two edits, longer ones a third of their length; beyond that a
  // suggestion is more confusing than none.
  const tolerance = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

/** Edit distance (insertions, deletions, substitutions). */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
