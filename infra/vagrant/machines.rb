# Loads the Vagrantfile through Vagrant itself and prints its machines as JSON:
# name, hostname, private IPs, memory and CPUs per provider, and the Ansible
# provisioner's groups and host variables. Usage: ruby infra/vagrant/machines.rb [DIR]
require "json"
require "vagrant"
require "vagrant/plugin/manager"

root = File.expand_path(ARGV[0] || Dir.pwd)
# Vagrant's built-in plugins (providers, provisioners) load with the environment.
Vagrant.plugin("2").manager
env = Vagrant::Environment.new(cwd: root, ui_class: Vagrant::UI::Silent)
vagrantfile = env.vagrantfile

machines = vagrantfile.machine_names.map do |name|
  loaded = vagrantfile.machine_config(name, :virtualbox, env.boxes, nil, false)
  config = loaded[:config]
  ips = config.vm.networks.select { |type, _| type == :private_network }.map { |_, opts| opts[:ip] }
  providers = {}
  libvirt = config.vm.get_provider_config(:libvirt)
  providers[:libvirt] = { memory: libvirt.memory, cpus: libvirt.cpus }
  # VirtualBox keeps memory and CPUs as `VBoxManage modifyvm` customizations.
  vbox = config.vm.get_provider_config(:virtualbox)
  modifyvm = vbox.customizations.map { |c| c[1] }.select { |cmd| cmd[0] == "modifyvm" }
  setting = ->(flag) { modifyvm.map { |cmd| cmd[cmd.index(flag) + 1] if cmd.include?(flag) }.compact.last }
  providers[:virtualbox] = { name: vbox.name, memory: setting.call("--memory")&.to_i, cpus: setting.call("--cpus")&.to_i }
  ansible = config.vm.provisioners.select { |p| p.type == :ansible }.map do |p|
    { playbook: p.config.playbook, limit: p.config.limit, groups: p.config.groups, host_vars: p.config.host_vars }
  end
  { name: name.to_s, hostname: config.vm.hostname, box: config.vm.box, ips: ips,
    providers: providers, ansible: ansible }
end
puts JSON.pretty_generate(machines)
