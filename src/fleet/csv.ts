// CSV that Excel (and WPS) open correctly on a Chinese Windows desktop:
// UTF-8 with a byte-order mark (without it Excel reads the file as GBK and
// garbles Chinese names), CRLF line ends, RFC 4180 quoting.

export const BOM = "\uFEFF"

export type Cell = string | number | { text: string } | undefined

/**
 * A digit string Excel must keep as text (a number with a leading 0 such as
 * 01012345678 would otherwise lose its 0 and show as 1.01E+10): written as
 * the formula ="01012345678", which Excel and WPS display as the digits.
 */
export function asText(digits: string): { text: string } {
    return { text: digits }
}

function quote(s: string): string {
    return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** One field: numbers as they are, text quoted when needed, never a formula. */
export function csvField(c: Cell): string {
    if (c === undefined) return ""
    if (typeof c === "number") return Number.isFinite(c) ? String(c) : ""
    if (typeof c === "object") return `"=""${c.text.replace(/"/g, "")}"""`
    // A cell starting with = + - @ would be run as a formula by Excel.
    const s = /^[=+\-@\t\r]/.test(c) ? "'" + c : c
    return quote(s)
}

/** A whole CSV file: BOM, header, rows, CRLF after every line. */
export function toCsv(header: string[], rows: Cell[][]): string {
    const lines = [header, ...rows].map(r => r.map(csvField).join(","))
    return BOM + lines.join("\r\n") + "\r\n"
}

/**
 * Parses CSV text written by toCsv (or Excel): strips the BOM, handles
 * quoted fields with commas, quotes and line breaks; ="..." text cells come
 * back as their digits.
 */
export function parseCsv(text: string): string[][] {
    const s = text.replace(/^\uFEFF/, "")
    const rows: string[][] = []
    let row: string[] = []
    let field = ""
    let quoted = false
    let i = 0
    while (i < s.length) {
        const ch = s[i]
        if (quoted) {
            if (ch === '"' && s[i + 1] === '"') {
                field += '"'
                i += 2
                continue
            }
            if (ch === '"') quoted = false
            else field += ch
            i++
            continue
        }
        if (ch === '"') quoted = true
        else if (ch === ",") {
            row.push(field)
            field = ""
        } else if (ch === "\r" || ch === "\n") {
            row.push(field)
            rows.push(row)
            row = []
            field = ""
            if (ch === "\r" && s[i + 1] === "\n") i++
        } else field += ch
        i++
    }
    if (field !== "" || row.length) {
        row.push(field)
        rows.push(row)
    }
    return rows.map(r => r.map(f => f.replace(/^="(.*)"$/, "$1")))
}
