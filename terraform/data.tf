# DynamoDB tables by logical name; functions reach them through TABLE_<NAME> variables.

module "table" {
  #checkov:skip=CKV_AWS_28:Point-in-time recovery is tables.<name>.point_in_time_recovery, on unless an environment turns it off.
  #checkov:skip=CKV2_AWS_16:Tables are on-demand (PAY_PER_REQUEST) by default: nothing to auto scale.
  source   = "../modules/dynamodb_table"
  for_each = var.tables

  name                     = "${local.name_prefix}-${each.key}"
  hash_key                 = each.value.hash_key
  range_key                = each.value.range_key
  attributes               = each.value.attributes
  billing_mode             = each.value.billing_mode
  read_capacity            = each.value.read_capacity
  write_capacity           = each.value.write_capacity
  global_secondary_indexes = each.value.global_secondary_indexes
  ttl_attribute            = each.value.ttl_attribute
  point_in_time_recovery   = each.value.point_in_time_recovery
  deletion_protection      = each.value.deletion_protection
  stream_view_type         = each.value.stream_view_type

  tags = { table = each.key }
}
