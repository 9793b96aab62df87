const MAX_QUOTED = 80;

/**
 * A field's value for a message, JSON-quoted; cut after 80 characters with its length said, since a malformed
 * file (a CR-only or binary file read as text) can put megabytes in one field and the message would carry them.
 */
export function quoted(value: string): string {
  if (value.length <= MAX_QUOTED) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, MAX_QUOTED))}... (${value.length} characters)`;
}
