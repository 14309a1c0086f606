// Plain-text tables for the terminal: columns padded by display width (a
// Chinese character takes two columns), numbers right-aligned.

/** Terminal columns taken by `s` (East Asian wide and full-width characters count 2). */
export function displayWidth(s: string): number {
    let w = 0
    for (const ch of s) {
        const c = ch.codePointAt(0) ?? 0
        if (c < 32 || (c >= 0x300 && c <= 0x36f)) continue
        w += isWide(c) ? 2 : 1
    }
    return w
}

function isWide(c: number): boolean {
    return (
        (c >= 0x1100 && c <= 0x115f) ||
        (c >= 0x2e80 && c <= 0x303e) ||
        (c >= 0x3041 && c <= 0x33ff) ||
        (c >= 0x3400 && c <= 0x4dbf) ||
        (c >= 0x4e00 && c <= 0x9fff) ||
        (c >= 0xa000 && c <= 0xa4cf) ||
        (c >= 0xac00 && c <= 0xd7a3) ||
        (c >= 0xf900 && c <= 0xfaff) ||
        (c >= 0xfe30 && c <= 0xfe4f) ||
        (c >= 0xff00 && c <= 0xff60) ||
        (c >= 0xffe0 && c <= 0xffe6) ||
        (c >= 0x20000 && c <= 0x3fffd)
    )
}

function pad(s: string, width: number, right: boolean): string {
    const fill = " ".repeat(Math.max(0, width - displayWidth(s)))
    return right ? fill + s : s + fill
}

/**
 * Rows under a header, two spaces between columns. Columns listed in
 * `rightAligned` (by index) are right-aligned; trailing blanks are cut.
 */
export function renderTable(
    header: string[],
    rows: string[][],
    rightAligned: number[] = []
): string {
    const widths = header.map((h, i) =>
        Math.max(displayWidth(h), ...rows.map(r => displayWidth(r[i] ?? "")))
    )
    const line = (cells: string[]) =>
        cells
            .map((c, i) => pad(c ?? "", widths[i], rightAligned.includes(i)))
            .join("  ")
            .trimEnd()
    return [line(header), ...rows.map(line)].join("\n") + "\n"
}
