package ai.tessera.core.engine;

/**
 * The free blocks in eviction order: taken from the front, so plain free blocks go to the front and freed
 * cached blocks to the back, which makes the least recently used cached block the next one evicted. A doubly
 * linked list through the blocks, because a cache hit takes a block out of the middle.
 */
final class FreeBlockQueue {
    private final KvBlock head = new KvBlock(-1);
    private final KvBlock tail = new KvBlock(-1);
    private int size;

    FreeBlockQueue() {
        head.next = tail;
        tail.prev = head;
    }

    int size() {
        return size;
    }

    KvBlock popFront() {
        if (size == 0) {
            throw new IllegalStateException("no free KV cache block left");
        }
        KvBlock b = head.next;
        remove(b);
        return b;
    }

    void pushFront(KvBlock b) {
        insertAfter(head, b);
    }

    void pushBack(KvBlock b) {
        insertAfter(tail.prev, b);
    }

    void remove(KvBlock b) {
        if (!b.queued) {
            throw new IllegalStateException(b + " is not in the free queue");
        }
        b.prev.next = b.next;
        b.next.prev = b.prev;
        b.prev = null;
        b.next = null;
        b.queued = false;
        size--;
    }

    private void insertAfter(KvBlock at, KvBlock b) {
        if (b.queued) {
            throw new IllegalStateException(b + " is already in the free queue");
        }
        b.prev = at;
        b.next = at.next;
        at.next.prev = b;
        at.next = b;
        b.queued = true;
        size++;
    }
}
