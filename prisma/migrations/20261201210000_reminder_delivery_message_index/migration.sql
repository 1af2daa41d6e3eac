-- CreateIndex: several reminders are posted as one message (issue 13); updating one configuration's
-- part of it looks up the other deliveries of that message by channel and ts.
CREATE INDEX "ReminderDelivery_channel_messageTs_idx" ON "ReminderDelivery"("channel", "messageTs");
