-- CreateTable
CREATE TABLE "security_event" (
    "id" BIGSERIAL NOT NULL,
    "kind" VARCHAR(32) NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "client_hmac" VARCHAR(64),
    "mobile_hmac" VARCHAR(64),
    "mobile_masked" VARCHAR(16),
    "user_id" INTEGER,
    "detail" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "security_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "security_event_created_at_idx" ON "security_event"("created_at");

-- CreateIndex
CREATE INDEX "security_event_kind_created_at_idx" ON "security_event"("kind", "created_at");

-- CreateIndex
CREATE INDEX "security_event_mobile_hmac_created_at_idx" ON "security_event"("mobile_hmac", "created_at");

-- Append-only: rows may be inserted and (by the retention job) deleted, never changed.
CREATE FUNCTION "security_event_refuse_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'security_event is append-only';
END
$$;
CREATE TRIGGER "security_event_append_only" BEFORE UPDATE ON "security_event"
  FOR EACH ROW EXECUTE FUNCTION "security_event_refuse_update"();
