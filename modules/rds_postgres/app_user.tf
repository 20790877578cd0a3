# The application's own login role: its secret is created here, empty. The migration
# function (lambda_src/db_migrate) creates the role with only the privileges the schema
# needs, generates its password and stores it here; functions log in with this secret and
# never see the master user's.

resource "aws_secretsmanager_secret" "app_user" {
  #checkov:skip=CKV2_AWS_57:No rotation function exists for this role: the migration function generates the password, sets it on the role and stores it here, and a new value reaches the role on the next migrate run.
  name_prefix             = "${var.identifier}-${replace(var.app_username, "_", "-")}-login-"
  description             = "Login of the application role ${var.app_username} on ${var.identifier}: written by the migration function, read by the functions with database access"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
  tags                    = var.tags
}
