// Text from findings (paths, command lines, pod and image names: all attacker-controlled)
// made visible instead of interpreted: every character a terminal acts on or that changes
// how the text around it reads is written as an escape. Used by every output of the CLI.
// The review page has the same rules in web/client/visibleText.ts (it loads only its own
// ES modules); test/unit/cli/visibleText.test.ts holds the two to the same table.
//
//   C0 controls and DEL      ESC starts terminal sequences (clear screen, set the title, OSC 8
//                            links), newline and carriage return forge table lines and overwrite
//   C1 controls U+0080–009F  8-bit CSI and OSC on terminals that honour them
//   bidi U+202A–202E, U+2066–2069, U+200E, U+200F, U+061C
//                            reorder what follows: "/tmp/rtl-\u202etxt.exe" reads "rtl-exe.txt"
//   U+200B–200D, U+2060–2065, U+FEFF, U+2028, U+2029
//                            invisible, or line breaks to some renderers
//   backslash                escaped as \\ so that an escape in the output is never ambiguous

/** Characters shown as escapes. */
export const UNSAFE_CHARS = /[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\\]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e", "\\": "\\\\" };

/** The escape of one unsafe character: \e, \n, \x07, \u202e, \\. */
export function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** `text` with every unsafe character escaped. */
export function visibleText(text: string): string {
  return text.replace(UNSAFE_CHARS, escapeChar);
}

/** Whether `text` holds a character that is not shown as itself (a backslash does not count). */
export function hasHiddenChars(text: string): boolean {
  return /[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/.test(text);
}

/**
 * JSON for a terminal: the same value as JSON.stringify, with the characters JSON leaves
 * raw (DEL, C1, bidi, invisible) written as \u escapes, which every JSON reader decodes back.
 */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
