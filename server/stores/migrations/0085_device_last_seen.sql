-- When each push token was last seen (registered again by the app, which it does at every
-- start). Tokens unseen for 270 days are dropped by the notification delivery worker: FCM
-- treats such devices as stale, and pushing to them only earns UNREGISTERED answers.
ALTER TABLE devices ADD COLUMN last_seen timestamptz;
UPDATE devices SET last_seen = updated_at;
ALTER TABLE devices ALTER COLUMN last_seen SET NOT NULL;
CREATE INDEX devices_last_seen ON devices (last_seen);
