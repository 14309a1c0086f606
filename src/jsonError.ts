// Finds where and why a JSON text is malformed, for messages such as
// "hq.policy.json:3:17: expected ',' or '}' after a property value".
// JSON.parse reports a position for some errors only, and its wording
// changes between Node versions, so the text is scanned here instead.
// The scan also finds what JSON.parse lets through: a key twice in one
// object ({"version":3,"version":4} would silently be version 4).

export interface JsonProblem {
    /** 1-based line and column (column counted in characters). */
    line: number
    column: number
    message: string
    /** The offending line, cut to a window around the column, and a caret under it. */
    excerpt: string[]
}

class Fail {
    constructor(
        readonly pos: number,
        readonly message: string
    ) {}
}

class Scanner {
    pos = 0
    constructor(
        readonly text: string,
        /** Say what kind of character is where, not which (secrets). */
        readonly hideText = false
    ) {}

    fail(message: string, pos = this.pos): never {
        throw new Fail(pos, message)
    }

    ws() {
        const t = this.text
        while (this.pos < t.length) {
            const c = t[this.pos]
            if (c === " " || c === "\t" || c === "\n" || c === "\r") this.pos++
            else break
        }
    }

    expected(what: string, advice = ""): never {
        this.fail(`expected ${what}, found ${this.here()}${advice}`)
    }

    /** Describes the character at the current position, for messages. */
    here(): string {
        if (this.pos >= this.text.length) return "end of file"
        const c = String.fromCodePoint(this.text.codePointAt(this.pos) ?? 0)
        if (!this.hideText) return `'${c}'`
        return /[0-9]/.test(c)
            ? "a digit"
            : /\p{L}/u.test(c)
              ? "a letter"
              : "a character"
    }

    value() {
        this.ws()
        const c = this.text[this.pos]
        if (c === "{") return this.object()
        if (c === "[") return this.array()
        if (c === '"') return this.string()
        if (c === "-" || (c >= "0" && c <= "9")) return this.number()
        for (const word of ["true", "false", "null"])
            if (this.text.startsWith(word, this.pos)) {
                this.pos += word.length
                return
            }
        if (c === "'")
            this.fail("strings must be in double quotes, not single quotes")
        if (c === "}" || c === "]")
            this.expected("a value", " (trailing comma?)")
        if (c === undefined)
            this.fail("unexpected end of file, expected a value")
        this.expected("a value", " (text must be in double quotes)")
    }

    object() {
        this.pos++
        this.ws()
        if (this.text[this.pos] === "}") return void this.pos++
        const keys = new Map<string, number>()
        for (;;) {
            this.ws()
            const c = this.text[this.pos]
            if (c === "}") this.fail("trailing comma before '}'")
            if (c !== '"') this.expected("a property name in double quotes")
            const start = this.pos
            this.string()
            const key: string = JSON.parse(this.text.slice(start, this.pos))
            const first = keys.get(key)
            if (first !== undefined) {
                const at = lineColumn(this.text, first)
                this.fail(
                    `duplicate key ${JSON.stringify(key)} (also at line ${at.line}, column ${at.column})`,
                    start
                )
            }
            keys.set(key, start)
            this.ws()
            if (this.text[this.pos] !== ":")
                this.expected("':' after a property name")
            this.pos++
            this.value()
            this.ws()
            const d = this.text[this.pos]
            if (d === "}") return void this.pos++
            if (d !== ",") this.expected("',' or '}' after a property value")
            this.pos++
        }
    }

    array() {
        this.pos++
        this.ws()
        if (this.text[this.pos] === "]") return void this.pos++
        for (;;) {
            this.ws()
            if (this.text[this.pos] === "]")
                this.fail("trailing comma before ']'")
            this.value()
            this.ws()
            const d = this.text[this.pos]
            if (d === "]") return void this.pos++
            if (d !== ",") this.expected("',' or ']' after a list item")
            this.pos++
        }
    }

    string() {
        const start = this.pos++
        const t = this.text
        for (;;) {
            if (this.pos >= t.length) this.fail("unterminated string", start)
            const c = t[this.pos]
            if (c === '"') return void this.pos++
            if (c === "\n" || c === "\r")
                this.fail(
                    "unterminated string (line break inside a string)",
                    start
                )
            if (c < " ") this.fail("control character inside a string")
            if (c === "\\") {
                const e = t[this.pos + 1]
                if (e === "u") {
                    const hex = t.slice(this.pos + 2, this.pos + 6)
                    if (!/^[0-9a-fA-F]{4}$/.test(hex))
                        this.fail("bad \\u escape: expected 4 hex digits")
                    this.pos += 6
                } else if (e !== undefined && '"\\/bfnrt'.includes(e))
                    this.pos += 2
                else this.fail("bad escape \\" + (e ?? "") + " in a string")
            } else this.pos++
        }
    }

    number() {
        const start = this.pos
        const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(
            this.text.slice(start, start + 400)
        )
        if (!m) this.fail("malformed number")
        this.pos += m[0].length
        const next = this.text[this.pos]
        if (m[1] === "0" && next >= "0" && next <= "9")
            this.fail(
                "numbers must not start with 0; write digit strings" +
                    ' such as area codes in quotes ("025")',
                start
            )
        if (next !== undefined && /[0-9.eE]/.test(next))
            this.fail("malformed number")
    }

    document() {
        this.value()
        this.ws()
        if (this.pos < this.text.length)
            this.fail(
                "unexpected " + this.here() + " after the end of the JSON value"
            )
    }
}

/** East Asian wide characters take two terminal columns. */
function width(s: string): number {
    let w = 0
    for (const ch of s) {
        const c = ch.codePointAt(0) ?? 0
        const wide =
            (c >= 0x1100 && c <= 0x115f) ||
            (c >= 0x2e80 && c <= 0xa4cf) ||
            (c >= 0xac00 && c <= 0xd7a3) ||
            (c >= 0xf900 && c <= 0xfaff) ||
            (c >= 0xfe30 && c <= 0xfe4f) ||
            (c >= 0xff00 && c <= 0xff60) ||
            (c >= 0xffe0 && c <= 0xffe6)
        w += wide ? 2 : 1
    }
    return w
}

function excerpt(lineText: string, column: number): string[] {
    const chars = Array.from(lineText.replace(/\t/g, " "))
    const from = Math.max(0, column - 1 - 40)
    const to = Math.min(chars.length, column - 1 + 30)
    const pre = (from > 0 ? "..." : "") + chars.slice(from, column - 1).join("")
    const text =
        pre +
        chars.slice(column - 1, to).join("") +
        (to < chars.length ? "..." : "")
    return ["    " + text, "    " + " ".repeat(width(pre)) + "^"]
}

/** 1-based line and column (in characters) of offset `pos`. */
function lineColumn(text: string, pos: number) {
    const before = text.slice(0, pos)
    const lineStart = before.lastIndexOf("\n") + 1
    return {
        lineStart,
        line: before.split("\n").length,
        column: Array.from(text.slice(lineStart, pos)).length + 1,
    }
}

/**
 * Locates the first syntax error or duplicate key in `text`; undefined if
 * the scanner finds none. `hideText`: the message names no character of
 * the text and the excerpt is empty (a text that may hold a secret).
 */
export function locateJsonError(
    text: string,
    hideText = false
): JsonProblem | undefined {
    try {
        new Scanner(text, hideText).document()
        return undefined
    } catch (e) {
        if (e instanceof RangeError) return undefined // nested too deep
        if (!(e instanceof Fail)) throw e
        // At the end of the text, point just after its last token.
        const pos = e.pos >= text.length ? text.trimEnd().length : e.pos
        const { lineStart, line, column } = lineColumn(text, pos)
        let lineEnd = text.indexOf("\n", lineStart)
        if (lineEnd < 0) lineEnd = text.length
        const lineText = text.slice(lineStart, lineEnd).replace(/\r$/, "")
        return {
            line,
            column,
            message: e.message,
            excerpt: hideText ? [] : excerpt(lineText, column),
        }
    }
}

/**
 * JSON.parse, refusing a key given twice in one object; on failure, where
 * and why (or JSON.parse's own message if the scanner disagrees, unless
 * `hideText`: it quotes the text).
 */
export function parseJson(
    text: string,
    hideText = false
): {
    value?: any
    problem?: JsonProblem
    fallback?: string
} {
    let value: any
    try {
        value = JSON.parse(text)
    } catch (e) {
        const problem = locateJsonError(text, hideText)
        if (problem) return { problem }
        return {
            fallback: hideText ? "not valid JSON" : (e as Error).message,
        }
    }
    // Valid JSON: the scan can only find a duplicate key.
    const problem = locateJsonError(text, hideText)
    return problem ? { problem } : { value }
}
