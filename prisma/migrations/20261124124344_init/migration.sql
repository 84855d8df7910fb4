-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "tb_user" (
    "id" SERIAL NOT NULL,
    "password" VARCHAR(128) NOT NULL,
    "last_login" TIMESTAMPTZ(6),
    "is_superuser" BOOLEAN NOT NULL DEFAULT false,
    "username" VARCHAR(150) NOT NULL,
    "username_key" VARCHAR(150) NOT NULL,
    "first_name" VARCHAR(150) NOT NULL DEFAULT '',
    "last_name" VARCHAR(150) NOT NULL DEFAULT '',
    "email" VARCHAR(254) NOT NULL DEFAULT '',
    "is_staff" BOOLEAN NOT NULL DEFAULT false,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "date_joined" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "mobile" VARCHAR(11) NOT NULL,
    "email_active" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "tb_user_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tb_user_username_key_key" ON "tb_user"("username_key");

-- CreateIndex
CREATE UNIQUE INDEX "tb_user_mobile_key" ON "tb_user"("mobile");

-- Usernames are unique case-insensitively: username_key carries the unique index and must
-- always be lower(username), whoever writes the row. (Prisma does not manage CHECK constraints.)
ALTER TABLE "tb_user" ADD CONSTRAINT "tb_user_username_key_lower" CHECK ("username_key" = lower("username"));
-- Mirrors the mobile rule of packages/contracts (11 digits, 1[3-9]...).
ALTER TABLE "tb_user" ADD CONSTRAINT "tb_user_mobile_format" CHECK ("mobile" ~ '^1[3-9][0-9]{9}$');
