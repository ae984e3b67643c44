/** The value of one cookie the browser sent, or undefined (the first one, when several share the name). */
export function readCookie(req, name) {
    for (const part of (req.get('cookie') ?? '').split(';')) {
        const [key, ...value] = part.trim().split('=');
        if (key === name) {
            try {
                return decodeURIComponent(value.join('='));
            }
            catch {
                return undefined;
            }
        }
    }
    return undefined;
}
