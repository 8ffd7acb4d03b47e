# `tofu test` for the whole configuration against mock providers: no cloud account, no
# credentials, nothing created. Needs the provider schemas, so it runs where `tofu init` can
# download them (the CI workflow), not offline. Run: tofu -chdir=opentofu init -backend=false &&
# tofu -chdir=opentofu test

mock_provider "google" {}
mock_provider "random" {}

variables {
  project_id        = "hello-test-project"
  github_repository = "octo-org/hello-api"
  admin_cidrs       = ["203.0.113.10/32"]
  ssh_cidrs         = ["35.235.240.0/20"]
  service_cidrs     = ["203.0.113.0/24"]
}

run "three_nodes_on_the_documented_addresses" {
  command = plan

  assert {
    condition     = google_compute_address.control_plane_internal.address == "10.160.0.3"
    error_message = "the control plane must sit on 10.160.0.3"
  }

  assert {
    condition     = toset([for address in google_compute_address.worker_internal : address.address]) == toset(["10.160.0.4", "10.160.0.5"])
    error_message = "the two workers must sit on 10.160.0.4 and 10.160.0.5"
  }

  assert {
    condition     = length(google_compute_instance.worker) == 2
    error_message = "two workers by default"
  }

  assert {
    condition     = contains(google_compute_instance.control_plane.tags, "hello-k8s-control-plane") && contains(google_compute_instance.control_plane.tags, "hello-k8s-node")
    error_message = "the control plane carries the node and control-plane tags the firewall rules select"
  }

  assert {
    condition     = google_compute_instance.control_plane.machine_type == "e2-medium"
    error_message = "nodes are e2-medium (2 vCPU, 4 GB) by default"
  }
}

run "firewall_rules_follow_their_source_lists" {
  command = plan

  assert {
    condition     = toset(google_compute_firewall.admin_to_api_server[0].source_ranges) == toset(["203.0.113.10/32"])
    error_message = "the API server is open to admin_cidrs only"
  }

  assert {
    condition     = toset(google_compute_firewall.service_node_ports[0].source_ranges) == toset(["203.0.113.0/24"])
    error_message = "the NodePorts are open to service_cidrs only"
  }

  assert {
    condition     = one(google_compute_firewall.node_flannel_vxlan.allow).protocol == "udp"
    error_message = "Flannel VXLAN is UDP"
  }
}

run "no_external_rule_for_an_empty_list" {
  command = plan

  variables {
    admin_cidrs   = []
    service_cidrs = []
  }

  assert {
    condition     = length(google_compute_firewall.admin_to_api_server) == 0 && length(google_compute_firewall.service_node_ports) == 0
    error_message = "an empty source list must create no rule"
  }
}

run "adding_a_worker_takes_the_next_address" {
  command = plan

  variables {
    worker_count = 3
  }

  assert {
    condition     = google_compute_address.worker_internal["hello-k8s-worker-3"].address == "10.160.0.6"
    error_message = "a third worker takes 10.160.0.6"
  }
}

run "world_open_node_ports_are_refused" {
  command = plan

  variables {
    service_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [google_compute_firewall.service_node_ports]
}

run "world_open_node_ports_when_asked_for" {
  command = plan

  variables {
    service_cidrs      = ["0.0.0.0/0"]
    allow_world_access = true
  }

  assert {
    condition     = contains(google_compute_firewall.service_node_ports[0].source_ranges, "0.0.0.0/0")
    error_message = "allow_world_access = true permits 0.0.0.0/0"
  }
}

run "world_open_ssh_is_refused" {
  command = plan

  variables {
    ssh_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [google_compute_firewall.ssh]
}

run "invalid_worker_count_is_refused" {
  command = plan

  variables {
    worker_count = 0
  }

  expect_failures = [var.worker_count]
}

run "invalid_cidr_is_refused" {
  command = plan

  variables {
    admin_cidrs = ["203.0.113.300/32"]
  }

  expect_failures = [var.admin_cidrs]
}

run "unsupported_kubernetes_minor_is_refused" {
  command = plan

  variables {
    kubernetes_minor = "1.29"
  }

  expect_failures = [var.kubernetes_minor]
}

run "a_repository_that_github_would_not_allow_is_refused" {
  command = plan

  variables {
    github_repository = "octo-org/hello-api/extra"
  }

  expect_failures = [var.github_repository]
}

run "zone_outside_the_region_is_refused" {
  command = plan

  variables {
    region = "europe-west1"
    zone   = "us-central1-a"
  }

  expect_failures = [google_compute_subnetwork.nodes]
}
