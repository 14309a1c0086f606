// Keeping secrets out of error messages. dialguard reads files and URLs
// that may hold one — a site key file given where a policy was expected,
// a board configuration (its siteKey and broker password), a broker URL
// with a login in it — and its messages quote what they could not read.
// These say when a text must not be quoted, and cut the login out of URLs.

/** A site key file: 64 hex digits (and white space). */
export function isKeyFileText(text: string): boolean {
    return /^\s*[0-9a-fA-F]{64}\s*$/.test(text.replace(/^\uFEFF/, ""))
}

/**
 * Whether a text may hold a secret: a long run of hex digits (a site key,
 * a signature) or a value under a name such as password, secret, token or
 * siteKey. Parts of such a text are never quoted in messages.
 */
export function mayHoldSecret(text: string): boolean {
    return (
        /[0-9a-fA-F]{32}/.test(text) ||
        /\b(pass(word|wd)?|secret|token|site_?key|board_?key|private_?key|api_?key)\b["']?\s*[:=]/i.test(
            text
        )
    )
}

/**
 * A URL as it may be shown: without the login (user:password@) in it.
 * Works on text that is no valid URL too.
 */
export function withoutLogin(url: string): string {
    const scheme = url.indexOf("://")
    const from = scheme < 0 ? 0 : scheme + 3
    const end = url.slice(from).search(/[/?#]/)
    const authority = end < 0 ? url.slice(from) : url.slice(from, from + end)
    const at = authority.lastIndexOf("@")
    if (at < 0) return url
    return url.slice(0, from) + "***@" + url.slice(from + at + 1)
}
