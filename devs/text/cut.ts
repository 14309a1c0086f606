// Portable: no @devicescript/* import.

/**
 * `s` cut at every `sep` (one character), as s.split(sep) would: the
 * firmware's own, because the library's String.split costs the image
 * 340 bytes of bytecode it does not have (README, "The firmware's bytecode
 * limit").
 */
export function cut(s: string, sep: string): string[] {
    const out: string[] = []
    let from = 0
    for (;;) {
        const i = s.indexOf(sep, from)
        if (i < 0) {
            out.push(s.slice(from))
            return out
        }
        out.push(s.slice(from, i))
        from = i + 1
    }
}
