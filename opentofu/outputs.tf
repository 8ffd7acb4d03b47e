# What an operator needs after apply: where the nodes are, the URLs of the three environments and
# Prometheus, and how to get a kubeconfig. `make infra-output` prints them.

output "control_plane" {
  description = "Control-plane node: name, internal and external IP."
  value = {
    name        = google_compute_instance.control_plane.name
    internal_ip = google_compute_address.control_plane_internal.address
    external_ip = google_compute_address.control_plane_external.address
  }
}

output "workers" {
  description = "Worker nodes by name: internal and external IP."
  value = {
    for name, worker in google_compute_instance.worker : name => {
      internal_ip = google_compute_address.worker_internal[name].address
      external_ip = google_compute_address.worker_external[name].address
    }
  }
}

output "node_internal_ips" {
  description = "Internal IP of every node by name."
  value       = { for name, node in local.nodes : name => node.ip }
}

output "api_server_url" {
  description = "Kubernetes API server for kubectl (reachable from admin_cidrs)."
  value       = "https://${google_compute_address.control_plane_external.address}:${local.api_server_port}"
}

output "service_urls" {
  description = "hello-api per environment through its NodePort (any node's external IP works; reachable from service_cidrs)."
  value = {
    for environment in keys(local.ci_environments) :
    environment => "http://${google_compute_address.control_plane_external.address}:${local.node_ports[environment]}"
  }
}

output "prometheus_url" {
  description = "Prometheus through its NodePort (reachable from service_cidrs)."
  value       = "http://${google_compute_address.control_plane_external.address}:${local.node_ports.prometheus}"
}

output "ssh_commands" {
  description = "SSH to each node through IAP (OS Login decides who may)."
  value = {
    for name in keys(local.nodes) :
    name => "gcloud compute ssh ${name} --project ${var.project_id} --zone ${var.zone} --tunnel-through-iap"
  }
}

output "kubeconfig_command" {
  description = "Fetches the cluster-admin kubeconfig from the control plane into ~/.kube/hello-k8s.conf (outside the repository: it is a credential) and points it at the external endpoint, which the API server certificate covers."
  value = join(" && ", [
    "mkdir -p \"$HOME/.kube\"",
    "gcloud compute ssh ${local.control_plane.name} --project ${var.project_id} --zone ${var.zone} --tunnel-through-iap --command 'sudo cat /etc/kubernetes/admin.conf' > \"$HOME/.kube/hello-k8s.conf\"",
    "chmod 600 \"$HOME/.kube/hello-k8s.conf\"",
    "kubectl --kubeconfig \"$HOME/.kube/hello-k8s.conf\" config set-cluster kubernetes --server https://${google_compute_address.control_plane_external.address}:${local.api_server_port}",
  ])
}

output "bootstrap_token" {
  description = "kubeadm bootstrap token the workers join with (for a manual `kubeadm join`)."
  value       = local.bootstrap_token
  sensitive   = true
}
