-- Be told when a commit wrote messages to the outbox (sentinel_internal.enqueue_notifications
-- and sentinel.enqueue_digests notify), so that the notifier delivers them at once.
listen sentinel_outbox
