-- Two accounts never hold the same verified address (POST /user/email/verify/ answers a lost race
-- as DATAEXIST from this index); unverified addresses may repeat, since anyone can type any address.
-- CreateIndex
CREATE UNIQUE INDEX "tb_user_email_verified_key" ON "tb_user"("email") WHERE (email_active);
