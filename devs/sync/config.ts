// The sync part of the board configuration: site id, broker and the board's
// key. Portable: no @devicescript/* import.

export interface SyncConfig {
    site: string
    /** As configured, e.g. "mqtts://broker.example:8883". */
    url: string
    host: string
    port: number
    tls: boolean
    username?: string
    password?: string
    /**
     * The board's own key, 64 hex digits (the HMAC key is the 32 bytes they
     * spell): HKDF-SHA256(site key, BOARD_KEY_INFO + board id), what
     * `dialguard flash` writes. Undefined when the configuration holds the
     * site key instead (older provisioning, the simulator): the board
     * derives its key from it (devs/sync/boardKey.ts).
     */
    boardKey?: string
    /** The site key (64 hex digits), only in configurations without boardKey. */
    siteKey?: string
}

/** HKDF info of a board key: this, then the board id (src/fleet/sign.ts). */
export const BOARD_KEY_INFO = "dialguard board key "

function isIdChar(c: number): boolean {
    return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 // a-z 0-9 -
}

/** 1-64 characters a-z 0-9 - (a site id; boards that sync use the same for their id). */
export function isTopicId(s: any): boolean {
    if (typeof s !== "string" || s.length === 0 || s.length > 64) return false
    for (let i = 0; i < s.length; ++i)
        if (!isIdChar(s.charCodeAt(i))) return false
    return true
}

export function isHexKey(s: any): boolean {
    if (typeof s !== "string" || s.length !== 64) return false
    for (let i = 0; i < 64; ++i) {
        const c = s.charCodeAt(i) | 32 // lower-case letters
        if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false
    }
    return true
}

/** "mqtt://host[:port][/]" or "mqtts://..."; a string says what is wrong. */
export function parseBrokerUrl(
    url: any
): { host: string; port: number; tls: boolean } | string {
    if (typeof url !== "string") return "must be mqtt://host[:port] or mqtts://"
    const tls = url.slice(0, 8) === "mqtts://"
    if (!tls && url.slice(0, 7) !== "mqtt://")
        return "must start with mqtt:// or mqtts:// (TLS)"
    let rest = url.slice(tls ? 8 : 7)
    if (rest.charAt(rest.length - 1) === "/")
        rest = rest.slice(0, rest.length - 1)
    const colon = rest.indexOf(":")
    const host = colon < 0 ? rest : rest.slice(0, colon)
    if (!host || rest.indexOf("/") >= 0 || rest.indexOf("@") >= 0)
        return "needs a host name and no path or login (give username and password apart)"
    let port = tls ? 8883 : 1883
    if (colon >= 0) {
        const p = rest.slice(colon + 1)
        port = parseInt(p)
        if (!(port >= 1 && port <= 65535) || "" + port !== p)
            return "bad port " + JSON.stringify(p)
    }
    return { host, port, tls }
}

/**
 * Checks `site`, `broker` and `siteKey` of a configuration document, adding
 * "path: reason" errors. None of the three: undefined, the board runs
 * without a network (no errors).
 */
export function validateSync(
    raw: any,
    errors: string[]
): SyncConfig | undefined {
    if (
        raw.site === undefined &&
        raw.broker === undefined &&
        raw.siteKey === undefined &&
        raw.boardKey === undefined
    )
        return undefined
    const before = errors.length
    if (!isTopicId(raw.site))
        errors.push("site: must be the site id, 1-64 characters a-z 0-9 -")
    if (!isTopicId(raw.board))
        errors.push(
            "board: a board that syncs needs an id of 1-64 characters a-z 0-9 - (it is a topic level)"
        )
    if (raw.boardKey !== undefined) {
        if (!isHexKey(raw.boardKey))
            errors.push("boardKey: must be the board's key, 64 hex digits")
        if (raw.siteKey !== undefined)
            errors.push(
                "siteKey: not with boardKey (a board holds only its own key)"
            )
    } else if (!isHexKey(raw.siteKey))
        errors.push("siteKey: must be the site key, 64 hex digits")
    const b = raw.broker
    let url: { host: string; port: number; tls: boolean } | string =
        "must be {url, username?, password?}"
    if (typeof b === "object" && b !== null && !Array.isArray(b)) {
        for (const k of Object.keys(b))
            if (k !== "url" && k !== "username" && k !== "password")
                errors.push("broker." + k + ": unknown key")
        for (const k of ["username", "password"])
            if (
                b[k] !== undefined &&
                (typeof b[k] !== "string" || !b[k] || b[k].length > 100)
            )
                errors.push("broker." + k + ": must be 1-100 characters")
        if (b.password !== undefined && b.username === undefined)
            errors.push("broker.password: needs broker.username")
        url = parseBrokerUrl(b.url)
        if (typeof url === "string") errors.push("broker.url: " + url)
    } else errors.push("broker: " + url)
    if (errors.length > before || typeof url === "string") return undefined
    const cfg: SyncConfig = {
        site: raw.site,
        url: b.url,
        host: url.host,
        port: url.port,
        tls: url.tls,
        username: b.username,
        password: b.password,
    }
    if (raw.boardKey !== undefined) cfg.boardKey = raw.boardKey.toLowerCase()
    else cfg.siteKey = raw.siteKey.toLowerCase()
    return cfg
}
