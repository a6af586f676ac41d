-- The databases of p2p-dtx: one per service, plus DTM's store (`dtm`) and the
-- sub-transaction barrier table every TCC/XA branch writes (`dtm_barrier`).
--
-- Shared by both ways of running the platform, applied as root before the
-- migrations on every start (idempotent):
--   local stack     scripts/lib/mariadb.sh (mariadb_provision)
--   docker compose  the db-init job of deploy/docker-compose.yml, which runs the
--                   same function (deploy/compose/init.sh)
-- The tables come from sql/<database>/V*.sql and, for dtm and dtm_barrier, from
-- the pinned DTM module (scripts/lib/migrate.sh). Accounts: accounts.sql.tmpl.
CREATE DATABASE IF NOT EXISTS `unified_account` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS `user_center` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS `trade_center` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS `repayment` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS `bank_custody` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS `dtm` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS `dtm_barrier` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
