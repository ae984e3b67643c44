/** Writes per transaction: a burst larger than this commits in several transactions, in order. */
const MAX_GROUP = 1000;
export function groupCommit(db) {
    let queue = [];
    let scheduled = false;
    const commit = db.transaction((group) => {
        for (const pending of group)
            pending.write();
    });
    function flush() {
        scheduled = false;
        while (queue.length > 0) {
            const group = queue.length <= MAX_GROUP ? queue : queue.slice(0, MAX_GROUP);
            queue = queue.length <= MAX_GROUP ? [] : queue.slice(MAX_GROUP);
            try {
                commit.immediate(group);
            }
            catch (err) {
                for (const pending of group)
                    pending.reject(err);
                continue;
            }
            for (const pending of group)
                pending.resolve();
        }
    }
    return {
        add(write) {
            return new Promise((resolve, reject) => {
                queue.push({ write, resolve, reject });
                if (!scheduled) {
                    scheduled = true;
                    setImmediate(flush);
                }
            });
        },
        flush,
    };
}
