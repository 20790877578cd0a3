# One run per validation rule (and per precondition that ties two inputs together): each
# proves its rule rejects a wrong value before AWS sees it.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
}

variables {
  name = "shop-dev"
}

run "reject_bad_name" {
  command = plan

  variables {
    name = "shop dev"
  }

  expect_failures = [var.name]
}

run "reject_function_timeout_over_15_minutes" {
  command = plan

  variables {
    functions = { shop-dev-items = { timeout = 901 } }
  }

  expect_failures = [var.functions]
}

run "reject_bad_instance_class" {
  command = plan

  variables {
    database = { identifier = "shop-dev", instance_class = "t4g.micro" }
  }

  expect_failures = [var.database]
}

run "reject_negative_error_count" {
  command = plan

  variables {
    thresholds = { function_errors = -1 }
  }

  expect_failures = [var.thresholds]
}

run "reject_fraction_above_one" {
  command = plan

  variables {
    thresholds = { function_duration = 1.5 }
  }

  expect_failures = [var.thresholds]
}

run "reject_cpu_above_100_percent" {
  command = plan

  variables {
    thresholds = { database_cpu_percent = 120 }
  }

  expect_failures = [var.thresholds]
}

run "reject_latency_above_30_seconds" {
  command = plan

  variables {
    thresholds = { api_latency_p99_ms = 30001 }
  }

  expect_failures = [var.thresholds]
}

run "reject_zero_free_storage" {
  command = plan

  variables {
    thresholds = { database_free_storage_gib = 0 }
  }

  expect_failures = [var.thresholds]
}

run "reject_period_not_a_minute_multiple" {
  command = plan

  variables {
    period_seconds = 90
  }

  expect_failures = [var.period_seconds]
}

run "reject_zero_evaluation_periods" {
  command = plan

  variables {
    evaluation_periods = 0
  }

  expect_failures = [var.evaluation_periods]
}

run "reject_zero_datapoints_to_alarm" {
  command = plan

  variables {
    datapoints_to_alarm = 0
  }

  expect_failures = [var.datapoints_to_alarm]
}

run "reject_sms_subscription" {
  command = plan

  variables {
    subscriptions = [{ protocol = "sms", endpoint = "+15555550100" }]
  }

  expect_failures = [var.subscriptions]
}

run "reject_email_endpoint_that_is_no_address" {
  command = plan

  variables {
    subscriptions = [{ protocol = "email", endpoint = "oncall" }]
  }

  expect_failures = [var.subscriptions]
}

run "reject_short_key_deletion_window" {
  command = plan

  variables {
    kms_key_deletion_window_days = 3
  }

  expect_failures = [var.kms_key_deletion_window_days]
}

run "reject_evaluation_longer_than_a_day" {
  command = plan

  variables {
    period_seconds     = 3600
    evaluation_periods = 25
  }

  expect_failures = [aws_sns_topic.this]
}

run "reject_more_datapoints_than_periods" {
  command = plan

  variables {
    evaluation_periods  = 3
    datapoints_to_alarm = 4
  }

  expect_failures = [aws_sns_topic.this]
}

run "reject_unknown_instance_class_without_max_connections" {
  command = plan

  variables {
    database = { identifier = "shop-dev", instance_class = "db.x2g.large" }
  }

  expect_failures = [aws_sns_topic.this]
}
